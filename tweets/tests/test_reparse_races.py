"""``reparse_tags`` beside live writes, on PostgreSQL: it locks one tweet at a time, briefly, and
waits for a tweet that a long write holds rather than failing."""

import threading

from django.db import connection, transaction

from core.testing import API
from core.testing.races import race_tests, run_while_held_until_done
from tweets.models import Tweet
from tweets.services import entities
from tweets.tests.factories import TweetFactory
from tweets.tests.test_reparse_tags import reparse, stored_as_before

pytestmark = race_tests


def test_a_like_of_a_tweet_re_tagged_before_the_one_being_written_does_not_wait(
    monkeypatch, auth_client, user
):
    first, second = TweetFactory(text="#हिंदी one"), TweetFactory(text="#हिंदी two")
    for tweet in (first, second):
        stored_as_before(tweet, ("ह", 2))
    paused, resume = threading.Event(), threading.Event()
    real = entities.tags_write

    def pausing_at_the_second(*, tweet, **kwargs):
        real(tweet=tweet, **kwargs)
        if tweet.pk == second.pk:
            paused.set()
            resume.wait(30)

    monkeypatch.setattr(entities, "tags_write", pausing_at_the_second)
    answers = {}

    def like_first():
        answers["like"] = auth_client(user).post(f"{API}/tweets/{first.pk}/like")

    assert run_while_held_until_done(reparse, like_first, paused, resume) == []
    assert answers["like"].status_code == 200, answers["like"].content
    assert answers["like"].json()["like_count"] == 1
    for tweet in (first, second):
        tweet.refresh_from_db()
        assert [tag["name"] for tag in tweet.entities["tags"]] == ["हिंदी"]


def test_a_tweet_held_longer_than_a_request_may_wait_is_waited_for(settings):
    """Longer than the lock timeout, and than a statement timeout the environment may set for
    commands (here a second, for this session)."""
    tweet = TweetFactory(text="#ทำ now")
    stored_as_before(tweet, ("ท", 2))
    held, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Tweet.objects.select_for_update(no_key=True).filter(pk=tweet.pk).exists()
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert held.wait(10)
        timer = threading.Timer(settings.DB_LOCK_TIMEOUT_MS / 1000 + 1, release.set)
        timer.start()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '1s'")
        answer = reparse()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
        release.set()
        holder.join(30)
    assert answer == "Re-tagged 1 tweets.\n"
    tweet.refresh_from_db()
    assert [tag["name"] for tag in tweet.entities["tags"]] == ["ทํา"]
