"""Log in with a username or an email address, in any letter case."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.metrics import LOGINS
from core.parsers import text_problem


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user_model = get_user_model()
        lookup = "email__lower" if "@" in username else "username__lower"
        try:
            if text_problem(username):  # NUL or a lone surrogate: no account, and no query
                raise user_model.DoesNotExist
            user = user_model._default_manager.get(**{lookup: username.lower()})
        except user_model.DoesNotExist:
            # Hash anyway so that an unknown user takes as long as a wrong password.
            user_model().set_password(password)
            LOGINS.labels(result="failure").inc()
            return None
        # check_password re-hashes with the preferred (Argon2) hasher when the stored hash is older.
        if user.check_password(password) and self.user_can_authenticate(user):
            LOGINS.labels(result="success").inc()
            return user
        LOGINS.labels(result="failure").inc()
        return None

    def user_can_authenticate(self, user):
        return user.can_authenticate
