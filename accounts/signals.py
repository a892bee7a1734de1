"""Signals for the layers above accounts, which accounts may not call (``tweets`` counts
follows and likes by active accounts only, so it recounts when an account comes or goes)."""

from django.dispatch import Signal

# Sent with ``account`` before it is deactivated, reactivated, suspended or restored, in the same
# transaction, before its row changes: the layers above lock what they will recount.
account_active_changing = Signal()
# Sent with ``account`` after it was deactivated or reactivated, in the same transaction.
account_active_changed = Signal()
