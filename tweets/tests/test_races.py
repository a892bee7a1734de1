"""Conflicting writes at the same moment on PostgreSQL: no 500, the loser of a race gets a clean
4xx, nothing is lost or orphaned, and every counter equals its rows afterwards."""

import threading
import time
from functools import partial

import pytest
from django.db import connection

from accounts import services as account_services
from accounts.models import User
from accounts.services import user_set_active
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API, upload
from core.testing.races import (
    deadlock_retries,
    pause_in,
    race,
    race_tests,
    run_while_held,
    statuses,
)
from tweets.models import Follow, Like, TimelineEntry, Tweet, TweetMedia
from tweets.services import (
    account_delete,
    account_set_suspended,
    counters_recount,
    like_create,
    tweet_delete,
)
from tweets.services import tweets as tweet_services
from tweets.services.timelines import timeline_backfill_run, timeline_fan_out_batch
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = race_tests


def assert_counters_match_rows():
    wrong = counters_recount(dry_run=True)
    assert wrong == dict.fromkeys(wrong, 0)


def reply(client, tweet, text="re"):
    return partial(
        client.post, f"{API}/tweets", {"text": text, "in_reply_to": str(tweet.pk)}, format="json"
    )


def test_two_users_following_each_other_at_once_never_deadlock(auth_client):
    alice, bob = UserFactory(), UserFactory()
    as_alice, as_bob = auth_client(alice), auth_client(bob)
    to_bob, to_alice = (
        f"{API}/accounts/{bob.username}/follow",
        f"{API}/accounts/{alice.username}/follow",
    )
    for _ in range(15):
        assert statuses(race(partial(as_alice.post, to_bob), partial(as_bob.post, to_alice))) == [
            200,
            200,
        ]
        done = race(partial(as_alice.delete, to_bob), partial(as_bob.delete, to_alice))
        assert statuses(done) == [204, 204]
    assert not Follow.objects.exists()
    assert_counters_match_rows()


def test_follow_and_unfollow_of_one_pair_racing_keep_counts(auth_client):
    fan, star = UserFactory(), UserFactory()
    client = auth_client(fan)
    url = f"{API}/accounts/{star.username}/follow"
    for _ in range(5):
        done = race(*[partial(client.post, url), partial(client.delete, url)] * 3)
        assert set(statuses(done)) <= {200, 204}
    assert_counters_match_rows()


def test_deleting_a_tweet_while_others_reply_and_like_loses_nothing(auth_client):
    author = UserFactory()
    fans = [auth_client(fan) for fan in UserFactory.create_batch(4)]
    for _ in range(4):
        tweet = TweetFactory(author=author)
        done = statuses(
            race(
                partial(auth_client(author).delete, f"{API}/tweets/{tweet.pk}"),
                *[reply(fan, tweet) for fan in fans[:2]],
                *[partial(fan.post, f"{API}/tweets/{tweet.pk}/like") for fan in fans[2:]],
            )
        )
        assert done[0] == 204
        assert set(done[1:3]) <= {201, 400}
        assert set(done[3:]) <= {200, 404}
        assert not Tweet.objects.filter(pk=tweet.pk).exists()
        assert not Like.objects.filter(tweet_id=tweet.pk).exists()
        assert not TimelineEntry.objects.filter(tweet_id=tweet.pk).exists()
    assert not Tweet.objects.filter(text="re", in_reply_to__isnull=False).exists()
    assert_counters_match_rows()


def test_replies_acknowledged_before_a_delete_are_kept(auth_client):
    author, fan = UserFactory(), UserFactory()
    client = auth_client(fan)
    acknowledged = []
    for _ in range(6):
        tweet = TweetFactory(author=author)
        done = race(
            partial(auth_client(author).delete, f"{API}/tweets/{tweet.pk}"), reply(client, tweet)
        )
        assert statuses(done)[0] == 204
        assert done[1].status_code in {201, 400}
        if done[1].status_code == 201:
            acknowledged.append(int(done[1].json()["id"]))
    assert set(Tweet.objects.filter(author=fan).values_list("pk", flat=True)) == set(acknowledged)
    assert_counters_match_rows()


def test_like_unlike_and_delete_racing(auth_client):
    fans = [auth_client(fan) for fan in UserFactory.create_batch(3)]
    for _ in range(3):
        tweet = TweetFactory()
        url = f"{API}/tweets/{tweet.pk}/like"
        done = race(
            *[partial(getattr(fan, verb), url) for fan in fans for verb in ("post", "delete")]
        )
        assert set(statuses(done)) <= {200, 204}
        assert_counters_match_rows()
        done = statuses(
            race(
                partial(auth_client(tweet.author).delete, f"{API}/tweets/{tweet.pk}"),
                *[partial(getattr(fan, verb), url) for fan in fans for verb in ("post", "delete")],
            )
        )
        assert done[0] == 204
        assert set(done[1:]) <= {200, 204, 404}
    assert not Like.objects.exists()
    assert_counters_match_rows()


def test_editing_and_deleting_a_tweet_at_once(auth_client):
    author = UserFactory()
    editors = [auth_client(author) for _ in range(4)]
    for _ in range(10):
        url = f"{API}/tweets/{TweetFactory(author=author).pk}"
        done = race(
            partial(auth_client(author).delete, url),
            *[partial(editor.patch, url, {"text": "edited"}, format="json") for editor in editors],
        )
        delete, *edits = statuses(done)
        assert delete == 204
        assert set(edits) <= {200, 404}
    assert not Tweet.objects.exists()
    assert_counters_match_rows()


def test_deleting_a_tweet_twice_at_once(auth_client):
    author = UserFactory()
    url = f"{API}/tweets/{TweetFactory(author=author).pk}"
    done = race(*[partial(auth_client(author).delete, url) for _ in range(3)])
    assert sorted(statuses(done)) == [204, 404, 404]
    assert_counters_match_rows()


def test_deleting_a_reply_and_its_parent_at_once(auth_client):
    author = UserFactory()
    client_a, client_b = auth_client(author), auth_client(author)
    for _ in range(5):
        parent = TweetFactory(author=author)
        answer = TweetFactory(author=author, in_reply_to=parent)
        done = race(
            partial(client_a.delete, f"{API}/tweets/{parent.pk}"),
            partial(client_b.delete, f"{API}/tweets/{answer.pk}"),
        )
        assert statuses(done) == [204, 204]
    assert not Tweet.objects.exists()
    assert_counters_match_rows()


def test_posting_while_followed_and_unfollowed_keeps_counts(auth_client):
    star = UserFactory()
    fans = UserFactory.create_batch(3)
    follow(fans[0], star)
    url = f"{API}/accounts/{star.username}/follow"
    done = race(
        partial(auth_client(star).post, f"{API}/tweets", {"text": "hi"}, format="json"),
        *[
            partial(getattr(auth_client(fan), verb), url)
            for fan in fans
            for verb in ("post", "delete")
        ],
    )
    assert set(statuses(done)) <= {200, 201, 204}
    assert_counters_match_rows()


def test_unreposting_while_the_original_is_deleted_never_deadlocks(auth_client):
    author = UserFactory()
    reposters = UserFactory.create_batch(3)
    clients = [auth_client(reposter) for reposter in reposters]
    for _ in range(10):
        original = TweetFactory(author=author)
        for reposter in reposters:
            repost(reposter, original)
        url = f"{API}/tweets/{original.pk}"
        done = statuses(
            race(
                partial(auth_client(author).delete, url),
                *[partial(client.delete, f"{url}/repost") for client in clients],
            )
        )
        assert done[0] == 204
        assert set(done[1:]) <= {204, 404}
    assert not Tweet.objects.exists()
    assert not TimelineEntry.objects.exists()
    assert_counters_match_rows()


def test_a_fan_out_running_while_its_tweet_is_deleted_leaves_no_timeline_rows():
    author = UserFactory()
    for reader in UserFactory.create_batch(30):
        follow(reader, author)
    for _ in range(15):
        tweet = TweetFactory(author=author)
        TimelineEntry.objects.filter(tweet=tweet).exclude(owner=author).delete()  # not run yet
        fan_out = partial(
            timeline_fan_out_batch, tweet_id=tweet.pk, first_follow_id=0, next_follow_id=None
        )
        done = race(partial(tweet_delete, tweet=tweet, actor=author), fan_out, fan_out, fan_out)
        assert not [result for result in done if isinstance(result, BaseException)]
        assert not TimelineEntry.objects.filter(tweet_id=tweet.pk).exists()


def test_likes_and_follows_racing_a_deactivation_are_counted_or_refused(auth_client):
    """Deactivating recounts what includes the account (its likes and follows stop counting).
    Likes and follows landing at that moment, by others or by the account itself with the token
    it still had, are counted or refused, never lost from a count or counted without their
    account."""
    for _ in range(4):
        leaving, star, tweet, elsewhere = (
            UserFactory(),
            UserFactory(),
            *TweetFactory.create_batch(2),
        )
        Like.objects.create(user=leaving, tweet=tweet)
        Tweet.objects.filter(pk=tweet.pk).update(like_count=1)
        follow(leaving, star)
        as_leaving = auth_client(leaving)
        fans = [auth_client(fan) for fan in UserFactory.create_batch(4)]
        done = statuses(
            race(
                partial(
                    as_leaving.delete,
                    f"{API}/accounts/me",
                    {"password": DEFAULT_PASSWORD},
                    format="json",
                ),
                *[partial(fan.post, f"{API}/tweets/{tweet.pk}/like") for fan in fans[:2]],
                *[partial(fan.post, f"{API}/accounts/{star.username}/follow") for fan in fans[2:]],
                partial(as_leaving.post, f"{API}/tweets/{elsewhere.pk}/like"),
            )
        )
        assert done[0] == 204
        assert done[1:5] == [200] * 4
        assert done[5] in (200, 401, 403)
        assert_counters_match_rows()


@pytest.mark.tasks_after_commit  # the fan-out runs after the post commits, as in production
def test_unfollows_racing_the_fan_out_leave_none_of_the_authors_tweets(auth_client):
    """A fan-out batch that read a follow just before it was removed must not put the tweet into
    the timeline the unfollow has just cleared."""
    author = UserFactory()
    fans = UserFactory.create_batch(12)
    as_author, as_fans = auth_client(author), [auth_client(fan) for fan in fans]
    unfollow = f"{API}/accounts/{author.username}/follow"
    for round_ in range(4):
        for fan in fans:
            follow(fan, author)
        done = statuses(
            race(
                *[
                    partial(
                        as_author.post, f"{API}/tweets", {"text": f"{round_}.{n}"}, format="json"
                    )
                    for n in range(4)
                ],
                *[partial(client.delete, unfollow) for client in as_fans],
            )
        )
        assert done == [201] * 4 + [204] * len(fans)
        left = TimelineEntry.objects.filter(owner__in=fans, tweet__author=author)
        assert not left.exists(), list(left.values_list("owner_id", "tweet_id"))
    assert_counters_match_rows()


@pytest.mark.parametrize(
    "pause_after",
    [
        'DELETE FROM "tweets_follow"',  # the fan-out then waited on a follow: a deadlock
        'DELETE FROM "tweets_timelineentry"',  # the fan-out then added rows that outlived it
    ],
)
def test_deleting_an_author_while_their_tweet_fans_out_leaves_nothing(pause_after):
    """The admin's account delete against a fan-out batch of one of the account's tweets, the
    fan-out starting while the delete pauses after one of its statements."""
    author = UserFactory()
    for fan in UserFactory.create_batch(5):
        follow(fan, author)
    tweet = TweetFactory(author=author)
    TimelineEntry.objects.filter(tweet=tweet).exclude(owner=author).delete()  # not fanned out yet
    paused = threading.Event()

    def pause(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(pause_after) and not paused.is_set():
            paused.set()
            time.sleep(0.3)  # the fan-out starts meanwhile
        return result

    def delete_account():
        with connection.execute_wrapper(pause):
            account_delete(account=author)

    def fan_out():
        paused.wait(10)
        return timeline_fan_out_batch(tweet_id=tweet.pk, first_follow_id=0, next_follow_id=None)

    deleted, added = race(delete_account, fan_out)
    assert (deleted, added) == (None, 0)
    assert not TimelineEntry.objects.filter(tweet_id=tweet.pk).exists()
    assert_counters_match_rows()


def test_an_account_deleted_by_the_admin_while_using_the_api_never_gets_a_500(auth_client):
    """Its requests on their way get a 4xx (or, for a lock cycle PostgreSQL breaks, a 503 to
    retry); the delete itself goes through, and every count equals its rows after."""
    for _ in range(5):
        leaving, other = UserFactory(), UserFactory()
        tweet, liked = TweetFactory(author=other), TweetFactory(author=other)
        follow(leaving, other)
        Like.objects.create(user=leaving, tweet=liked)
        Tweet.objects.filter(pk=liked.pk).update(like_count=1)
        client = auth_client(leaving)
        done = race(
            partial(account_delete, account=User.objects.get(pk=leaving.pk)),
            partial(client.patch, f"{API}/accounts/me", {"display_name": "x"}, format="json"),
            partial(client.post, f"{API}/accounts/{other.username}/mute"),
            partial(client.post, f"{API}/notifications/marker", {"last_read_id": "1"}),
            partial(client.post, f"{API}/tweets/{tweet.pk}/like"),
            partial(client.delete, f"{API}/tweets/{liked.pk}/like"),
            partial(client.delete, f"{API}/accounts/{other.username}/follow"),
        )
        assert done[0] is None  # deleted
        codes = statuses(done[1:])
        assert set(codes) <= {200, 201, 204, 401, 403, 404, 409, 503}, codes
        assert not User.objects.filter(pk=leaving.pk).exists()
        assert_counters_match_rows()


@pytest.mark.parametrize("other_side", ["suspend it", "deactivate it", "deactivate a follower"])
def test_deleting_an_account_while_it_or_a_follower_is_suspended_or_deactivated(other_side):
    """Both recount around an account after changing its row; the delete locks its own tweets
    first, then its row, so neither waits for the other in a circle."""
    leaving, other, fan = UserFactory(), UserFactory(), UserFactory()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    liked = TweetFactory(author=other)
    for account in (leaving, fan):
        like_create(user=account, tweet=liked)
    follow(fan, leaving)
    paused = threading.Event()

    def pause(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.endswith("FOR UPDATE") and not paused.is_set():  # its own tweets are locked
            paused.set()
            time.sleep(0.3)
        return result

    def delete_account():
        with connection.execute_wrapper(pause):
            account_delete(account=User.objects.get(pk=leaving.pk))

    def change():
        paused.wait(10)
        if other_side == "suspend it":
            return account_set_suspended(
                account=User.objects.get(pk=leaving.pk),
                suspended=True,
                moderator=superuser,
                reason="Spam.",
            )
        changed = leaving if other_side == "deactivate it" else fan
        return user_set_active(user=User.objects.get(pk=changed.pk), active=False)

    done = race(delete_account, change)
    assert not [result for result in done if isinstance(result, BaseException)], done
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert_counters_match_rows()


def test_a_follower_liking_while_the_account_deactivates_itself_waits_without_a_deadlock(
    monkeypatch, auth_client
):
    """Deactivating locks what it recounts (the account's tweets among them) before the account's
    row, as every interaction locks a tweet before accounts, and checks the password again under
    that lock: a follower's like of its tweet waits, with no deadlock to break."""
    fan, leaving = UserFactory(), UserFactory()  # the follower's row comes first in id order
    follow(fan, leaving)
    tweet = TweetFactory(author=leaving)
    before, answers = deadlock_retries(), {}
    paused, resume = pause_in(monkeypatch, account_services, "_account_lock", first_only=True)
    failures = run_while_held(
        lambda: answers.update(
            leave=auth_client(leaving).delete(
                f"{API}/accounts/me", {"password": DEFAULT_PASSWORD}, format="json"
            )
        ),
        lambda: answers.update(like=auth_client(fan).post(f"{API}/tweets/{tweet.pk}/like")),
        paused,
        resume,
    )
    assert failures == []
    assert answers["leave"].status_code == 204
    assert answers["like"].status_code < 500
    assert deadlock_retries() == before
    assert_counters_match_rows()


def test_an_edit_and_a_reply_claiming_the_same_upload_wait_without_a_deadlock(
    monkeypatch, auth_client
):
    """The edit holds its tweet's row when the reply to that tweet, with the same upload, comes:
    the reply locks its parent before it claims uploads, as the edit does, so it waits; then
    finds the upload taken (400), with no deadlock to break."""
    author = UserFactory()
    client = auth_client(author)
    parent = TweetFactory(author=author)
    media_id = upload(client).json()["id"]
    before, answers = deadlock_retries(), {}
    paused, resume = pause_in(monkeypatch, tweet_services, "_attachments_of", first_only=True)
    failures = run_while_held(
        lambda: answers.update(
            edit=client.patch(
                f"{API}/tweets/{parent.pk}",
                {"text": "with a picture", "media_ids": [media_id]},
                format="json",
            )
        ),
        lambda: answers.update(
            reply=client.post(
                f"{API}/tweets",
                {"text": "reply", "in_reply_to": str(parent.pk), "media_ids": [media_id]},
                format="json",
            )
        ),
        paused,
        resume,
    )
    assert failures == []
    assert answers["edit"].status_code == 200
    assert answers["reply"].status_code == 400
    assert deadlock_retries() == before
    assert TweetMedia.objects.get(media_id=media_id).tweet_id == parent.pk


def test_a_follows_backfill_racing_a_delete_of_the_followees_tweet_leaves_no_entry():
    """The delete has removed the tweet's entries and not yet committed when the backfill runs:
    the backfill waits for the tweet's row and leaves it out."""
    author, reader = UserFactory(), UserFactory()
    tweet = TweetFactory(author=author)
    follow = Follow.objects.create(follower=reader, followee=author)  # its backfill not run yet
    paused = threading.Event()

    def pause_after_the_entries(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('DELETE FROM "tweets_timelineentry"') and not paused.is_set():
            paused.set()
            time.sleep(0.5)  # the backfill runs meanwhile
        return result

    def delete():
        with connection.execute_wrapper(pause_after_the_entries):
            tweet_delete(tweet=tweet, actor=author)

    def backfill():
        paused.wait(10)
        return timeline_backfill_run(follow_id=follow.pk)

    done = race(delete, backfill)
    assert not [outcome for outcome in done if isinstance(outcome, BaseException)]
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    assert not TimelineEntry.objects.filter(tweet_id=tweet.pk).exists()


def test_a_follows_backfill_and_the_deletion_of_the_followees_account_do_not_deadlock():
    """The account's deletion locks its tweets, then removes its follows; the backfill locks the
    tweets it writes, then the follow: the same order, so one waits for the other."""
    author, reader = UserFactory(), UserFactory()
    TweetFactory.create_batch(3, author=author)
    follow = Follow.objects.create(follower=reader, followee=author)  # its backfill not run yet
    paused, before = threading.Event(), deadlock_retries()

    def pause_after_the_follows_lock(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and '"tweets_follow"' in sql and not paused.is_set():
            paused.set()
            time.sleep(0.6)  # the deletion reaches the tweets meanwhile
        return result

    def backfill():
        with connection.execute_wrapper(pause_after_the_follows_lock):
            return timeline_backfill_run(follow_id=follow.pk)

    def delete():
        paused.wait(10)
        account_delete(account=User.objects.get(pk=author.pk))

    done = race(backfill, delete)
    assert not [outcome for outcome in done if isinstance(outcome, BaseException)]
    assert deadlock_retries() == before
    assert not TimelineEntry.objects.filter(owner=reader).exists()
