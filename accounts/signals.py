"""Signals for the layers above accounts, which accounts may not call (``tweets`` counts
follows and likes by active accounts only, so it recounts when an account comes or goes)."""

from django.dispatch import Signal

# Sent with ``account`` before it is deactivated or reactivated, in the same transaction: the
# layers above lock first what they will recount (tweets before accounts, the one order).
account_active_changing = Signal()
# Sent with ``account`` after it was deactivated or reactivated, in the same transaction.
account_active_changed = Signal()
