"""A moderator's change form saved while the app writes the same row, on PostgreSQL: the form
writes only what the moderator changed (``core.admin.ChangedFieldsAdmin``), so counters, a
password, a suspension or a hide committed meanwhile stay."""

import pytest

from accounts.admin import UserAdmin
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API
from core.testing.races import pause_in, race_tests, run_while_held_until_done
from tweets.admin import TweetAdmin
from tweets.models import Tweet
from tweets.services import account_set_suspended, counters_recount, tweet_set_hidden
from tweets.tests.factories import TweetFactory
from tweets.tests.test_admin_forms import as_moderator, form_as_shown

pytestmark = race_tests

NEW_PASSWORD = "changed-meanwhile-passphrase"


@pytest.fixture
def moderator():
    return UserFactory(is_staff=True, is_superuser=True)


def saved_while(monkeypatch, admin_class, save, meanwhile) -> None:
    """Post the change form, and run ``meanwhile`` to its end before the form's save."""
    paused, resume = pause_in(monkeypatch, admin_class, "save_model", before=True)
    assert run_while_held_until_done(save, meanwhile, paused, resume) == []


def test_a_user_form_saved_meanwhile_keeps_a_follow_a_password_and_a_suspension(
    monkeypatch, auth_client, moderator
):
    account, fan = UserFactory(), UserFactory()
    answers = {}

    client = as_moderator(moderator)
    url = f"/admin/accounts/user/{account.pk}/change/"
    shown = form_as_shown(client, url, bio="edited by a moderator")

    def save():
        answers["form"] = client.post(url, shown)

    def meanwhile():
        answers["follow"] = auth_client(fan).post(f"{API}/accounts/{account.username}/follow")
        answers["password"] = auth_client(account).post(
            f"{API}/accounts/me/password",
            {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )
        account_set_suspended(account=account, suspended=True, moderator=moderator, reason="spam")

    saved_while(monkeypatch, UserAdmin, save, meanwhile)

    assert answers["form"].status_code == 302
    assert (answers["follow"].status_code, answers["password"].status_code) == (200, 204)
    account.refresh_from_db()
    assert account.bio == "edited by a moderator"
    assert account.followers_count == 1
    assert account.check_password(NEW_PASSWORD)
    assert account.is_suspended
    wrong = counters_recount(dry_run=True)
    assert wrong == dict.fromkeys(wrong, 0)


def test_a_tweet_form_saved_meanwhile_keeps_a_like_and_a_hide(monkeypatch, auth_client, moderator):
    tweet, fan = TweetFactory(), UserFactory()
    answers = {}

    client = as_moderator(moderator)
    url = f"/admin/tweets/tweet/{tweet.pk}/change/"
    shown = form_as_shown(client, url)

    def save():
        answers["form"] = client.post(url, shown)

    def meanwhile():
        answers["like"] = auth_client(fan).post(f"{API}/tweets/{tweet.pk}/like")
        tweet_set_hidden(
            tweet=Tweet.objects.get(pk=tweet.pk), hidden=True, moderator=moderator, reason="spam"
        )

    saved_while(monkeypatch, TweetAdmin, save, meanwhile)

    assert answers["form"].status_code == 302
    assert answers["like"].status_code == 200
    tweet.refresh_from_db()
    assert (tweet.like_count, tweet.is_hidden) == (1, True)
