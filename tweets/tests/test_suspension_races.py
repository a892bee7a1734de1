"""Suspensions and deactivations racing the account's own writes and reports about it, on
PostgreSQL.

Suspending or deactivating an account changes its row and then recounts the tweets it answered,
liked or reposted; a reply, like or repost by that account locks the tweet first and then the
account. The change locks those tweets before its row (``neighbours_lock``), so the two queue:
the interaction is made before the change, or refused as by a suspended account after it. Where
two writes still deadlock (a delete of a reported tweet and its author's suspension meet on the
report rows), PostgreSQL aborts one, which is run again (``core.db.retries``). Never a database
error (a 503). A report filed meanwhile is resolved with the suspension or refused, never left
open behind it."""

import pytest
from django.core.exceptions import ValidationError

from accounts.services import AccountUnusable, user_set_active
from accounts.tests.factories import UserFactory
from core.testing import on_postgresql
from core.testing.races import deadlock_retries, lock_waits, pause_in, run_while_held, wait_until
from tweets import services
from tweets.models import Report, Tweet
from tweets.services import likes, moderation, reposts
from tweets.services import tweets as tweet_services
from tweets.tests.factories import TweetFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgresql(), reason="row locks need PostgreSQL"),
]

INTERACTIONS = {
    "like": (likes, lambda fan, tweet: services.like_create(user=fan, tweet=tweet)),
    "repost": (reposts, lambda fan, tweet: services.repost_create(user=fan, tweet=tweet)),
    "reply": (
        tweet_services,
        lambda fan, tweet: services.tweet_create(author=fan, text="again", in_reply_to=tweet),
    ),
}


def changed(account, change: str) -> bool:
    row = type(account).objects.values("is_active", "is_suspended").get(pk=account.pk)
    return not row["is_active"] if change == "deactivation" else row["is_suspended"]


CHANGES = {
    "suspension": lambda fan: services.account_set_suspended(
        account=fan, suspended=True, moderator=UserFactory(is_staff=True), reason="spam"
    ),
    "deactivation": lambda fan: user_set_active(user=fan, active=False),
}


@pytest.mark.parametrize("answered", [True, False], ids=["its-tweet", "another-tweet"])
@pytest.mark.parametrize("interaction", INTERACTIONS)
@pytest.mark.parametrize("change", CHANGES)
def test_an_interaction_racing_a_suspension_or_deactivation_queues_without_deadlock(
    monkeypatch, interaction, change, answered
):
    """The interaction holds its tweet and stops just before it locks the two accounts; the
    change starts then. On a tweet the account answered before (which the change recounts), the
    change waits for the tweet and the interaction goes first; on another, the interaction waits
    for the account's row and is refused once the change has committed. Nothing deadlocks."""
    module, interact = INTERACTIONS[interaction]
    author, fan = UserFactory(), UserFactory()
    tweet = TweetFactory(author=author)
    if answered:
        services.tweet_create(author=fan, text="first", in_reply_to=tweet)
    retried_before = deadlock_retries()
    paused, resume = pause_in(monkeypatch, module, "block_check", before=True)

    def change_waits_or_is_done():
        # Its tweet: the change waits for the tweet's row. Another: the change commits.
        waits_or_done = (lambda: lock_waits() > 0) if answered else lambda: changed(fan, change)
        wait_until(waits_or_done)

    failures = run_while_held(
        lambda: interact(fan, tweet),
        lambda: CHANGES[change](fan),
        paused,
        resume,
        during=change_waits_or_is_done,
    )
    assert deadlock_retries() == retried_before
    if answered:
        assert failures == []
    else:
        assert [type(failure) for failure in failures] == [AccountUnusable]
    fan.refresh_from_db()
    assert not fan.is_active if change == "deactivation" else fan.is_suspended
    assert set(services.counters_recount(dry_run=True).values()) == {0}


@pytest.mark.parametrize("deleter", ["author", "moderator"])
def test_a_reported_tweet_deleted_while_its_author_is_suspended_leaves_both_done(
    monkeypatch, deleter
):
    """The suspension holds the author's row and is about to lock the reports about the author
    and its tweets; the delete locks the tweet and its reports (resolving them, or clearing their
    tweet) and then waits for the author's row. Each waits for the other, PostgreSQL aborts the
    delete (which waited first), and it is run again: both are done."""
    author, moderator = UserFactory(), UserFactory(is_staff=True)
    tweet = TweetFactory(author=author)
    report = Report.objects.create(reporter=UserFactory(), tweet=tweet, reason="spam")
    paused, resume = pause_in(monkeypatch, moderation, "reports_resolve", before=True)
    retried_before = deadlock_retries()
    actor = author if deleter == "author" else moderator
    failures = run_while_held(
        lambda: services.account_set_suspended(
            account=author, suspended=True, moderator=moderator, reason="spam"
        ),
        lambda: services.tweet_delete(tweet=tweet, actor=actor, reason="gone"),
        paused,
        resume,
    )
    assert failures == []
    assert deadlock_retries() == retried_before + 1
    author.refresh_from_db()
    assert author.is_suspended
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    report.refresh_from_db()
    # The suspension resolved it (it came first); the delete then only cleared its tweet.
    assert (report.status, report.tweet_id) == (Report.Status.RESOLVED, None)
    assert set(services.counters_recount(dry_run=True).values()) == {0}


@pytest.mark.parametrize("held", ["suspension", "report"])
def test_a_report_filed_while_its_account_is_suspended_is_resolved_or_refused(monkeypatch, held):
    """Held after the suspension resolved the reports it found (before it commits), the
    report waits for it and is refused. Held after the report is inserted, the suspension does
    not wait for it (the report locks the account only then), and the report is refused once it
    does. Either way no report stays open about the suspended account."""
    author, moderator = UserFactory(), UserFactory(is_staff=True)
    tweet = TweetFactory(author=author)

    def suspend():
        services.account_set_suspended(
            account=author, suspended=True, moderator=moderator, reason="spam"
        )

    def report():
        services.report_create(reporter=UserFactory(), reason="spam", tweet=tweet)

    if held == "suspension":
        paused, resume = pause_in(monkeypatch, moderation, "reports_resolve")
        failures = run_while_held(suspend, report, paused, resume)
    else:
        paused, resume = pause_in(monkeypatch, moderation, "users_lock", before=True)
        failures = run_while_held(report, suspend, paused, resume)
    assert [type(failure) for failure in failures] == [ValidationError], failures
    assert failures[0].message_dict == {"tweet": ["That tweet does not exist."]}
    assert not Report.objects.filter(status=Report.Status.OPEN).exists()


@pytest.mark.parametrize("first", ["reply", "report"])
def test_a_report_and_a_reply_to_the_same_tweet_queue_without_deadlock(monkeypatch, first):
    """Both lock the tweet first (the report share-locks it before the author's row), so
    whichever comes second waits for the other: no deadlock, nothing run again."""
    author, fan = UserFactory(), UserFactory()
    tweet = TweetFactory(author=author)
    retried_before = deadlock_retries()

    def reply():
        services.tweet_create(author=fan, text="hm", in_reply_to=tweet)

    def report():
        services.report_create(reporter=UserFactory(), reason="spam", tweet=tweet)

    if first == "reply":  # holds the tweet, about to lock the accounts
        paused, resume = pause_in(monkeypatch, tweet_services, "block_check", before=True)
        failures = run_while_held(reply, report, paused, resume)
    else:  # holds the tweet and its report, about to lock the author's row
        paused, resume = pause_in(monkeypatch, moderation, "users_lock", before=True)
        failures = run_while_held(report, reply, paused, resume)
    assert failures == []
    assert deadlock_retries() == retried_before
    assert Report.objects.filter(tweet=tweet, status=Report.Status.OPEN).count() == 1
