"""Operator commands: seed_demo, moderation_stats, createsuperuser."""

import json
import os
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Avg, Count, F
from django.utils import timezone

from accounts.models import AccountSearchDocument
from accounts.tests.factories import UserFactory
from core.ids import id_datetime
from core.testing import API
from tweets import services
from tweets.models import (
    Broadcaster,
    Follow,
    Like,
    Mention,
    ModerationAction,
    Notification,
    Report,
    TagUse,
    TimelineEntry,
    Tweet,
    TweetSearchDocument,
    TweetTag,
)
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def seed(**options):
    out = StringIO()
    arguments = {"users": 40, "tweets": 400, "follows_per_user": 6, "seed": 11, **options}
    call_command("seed_demo", stdout=out, stderr=StringIO(), **arguments)
    return out.getvalue()


def test_seed_demo_creates_consistent_data(settings):
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 12
    output = seed()
    assert "Created 40 accounts" in output

    demo = User.objects.filter(username__startswith="demo_")
    assert demo.count() == 40
    assert Tweet.objects.filter(repost_of__isnull=True).count() == 400
    assert Tweet.objects.filter(in_reply_to__isnull=False).exists()
    assert any("가" <= ch <= "힣" for ch in "".join(Tweet.objects.values_list("text", flat=True)))

    # Counters agree with the rows.
    originals = Tweet.objects.filter(repost_of__isnull=True)
    for user in demo:
        assert user.followers_count == Follow.objects.filter(followee=user).count()
        assert user.following_count == Follow.objects.filter(follower=user).count() == 6
        assert user.tweets_count == originals.filter(author=user).count()
    for tweet in Tweet.objects.annotate(
        likes_n=Count("likes", distinct=True),
        replies_n=Count("replies", distinct=True),
        reposts_n=Count("reposts", distinct=True),
    ):
        assert (tweet.like_count, tweet.reply_count, tweet.repost_count) == (
            tweet.likes_n,
            tweet.replies_n,
            tweet.reposts_n,
        )
    assert set(services.counters_recount(dry_run=True).values()) == {0}

    # Reposts: a realistic share, of popular tweets more often, each later than its original.
    reposts = Tweet.objects.filter(repost_of__isnull=False).select_related("repost_of")
    assert 0.03 * 400 <= reposts.count() <= 0.15 * 400
    assert all(r.text == "" and r.pk > r.repost_of_id for r in reposts)
    assert all(r.created_at == id_datetime(r.pk) for r in reposts)
    reposted = originals.filter(repost_count__gt=0).aggregate(likes=Avg("like_count"))
    assert reposted["likes"] > 2 * originals.aggregate(likes=Avg("like_count"))["likes"]

    # Mentions and tags are what the live parser finds in each text, stored as rows.
    for tweet in originals:
        assert tweet.entities == services.entities_prepare(tweet.text).json
        names = {tag["name"] for tag in tweet.entities.get("tags", [])}
        assert set(TweetTag.objects.filter(tweet=tweet).values_list("tag", flat=True)) == names
        mentioned = {mention["id"] for mention in tweet.entities.get("mentions", [])}
        assert set(Mention.objects.filter(tweet=tweet).values_list("account", flat=True)) == (
            mentioned
        )
    tags = set(TweetTag.objects.values_list("tag", flat=True))
    assert {"django", "커피"} <= tags or {"python", "일상"} <= tags
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for t in tags for ch in t)
    assert 0.1 * 400 <= TweetTag.objects.values("tweet").distinct().count() <= 0.3 * 400
    assert Mention.objects.filter(tweet__in_reply_to__isnull=True).exists()
    assert Mention.objects.filter(
        tweet__in_reply_to__author=F("account"), tweet__text__startswith="@"
    ).exists()
    uses = {
        (tag, at.replace(minute=0, second=0, microsecond=0), author)
        for tag, at, author in TweetTag.objects.values_list(
            "tag", "tweet__created_at", "tweet__author"
        )
    }
    assert set(TagUse.objects.values_list("tag", "hour", "author")) == uses

    # Every follow, like and reply of someone else's tweet notified, as live writes would.
    assert Notification.objects.filter(kind="follow").count() == Follow.objects.count()
    assert (
        Notification.objects.filter(kind="like").count()
        == Like.objects.exclude(user=F("tweet__author")).count()
    )
    assert (
        Notification.objects.filter(kind="reply").count()
        == Tweet.objects.exclude(in_reply_to__author=F("author"))
        .filter(in_reply_to__isnull=False)
        .count()
    )
    assert (
        Notification.objects.filter(kind="repost").count()
        == reposts.exclude(author=F("repost_of__author")).count()
    )
    assert (
        not Notification.objects.filter(kind="repost")
        .exclude(tweet__reposts__author=F("actor"))
        .exists()
    )
    # The mentioned are told, except the author and the author of the tweet replied to.
    mentions = Mention.objects.exclude(account=F("tweet__author")).exclude(
        account=F("tweet__in_reply_to__author"), tweet__in_reply_to__isnull=False
    )
    assert Notification.objects.filter(kind="mention").count() == mentions.count()
    assert set(
        Notification.objects.filter(kind="mention").values_list("tweet", "recipient", "actor")
    ) == set(mentions.values_list("tweet", "account", "tweet__author"))
    assert not Notification.objects.filter(actor=F("recipient")).exists()
    assert Notification.objects.filter(created_at__gt=timezone.now()).count() == 0

    # Follower counts are skewed: the most followed has several times the median.
    counts = sorted(demo.values_list("followers_count", flat=True))
    assert counts[-1] >= 3 * max(counts[len(counts) // 2], 1)

    # Popular authors are merged at read time, exactly as live posting would decide.
    for tweet in Tweet.objects.select_related("author"):
        assert tweet.fanned_out == (tweet.author.followers_count <= 12)
    assert Broadcaster.objects.exists()

    # Timelines are what the rebuild command computes from the same rows, reposts included.
    seeded = sorted(TimelineEntry.objects.values_list("owner_id", "tweet_id"))
    assert TimelineEntry.objects.filter(tweet__repost_of__isnull=False).exists()
    for user in demo:
        services.timeline_rebuild(owner=user)
    assert sorted(TimelineEntry.objects.values_list("owner_id", "tweet_id")) == seeded


def test_seed_demo_is_reproducible_with_a_seed():
    def snapshot():
        follows = sorted(Follow.objects.values_list("follower__username", "followee__username"))
        tweets = list(
            Tweet.objects.order_by("id").values_list("author__username", "text", "like_count")
        )
        return follows, tweets, Like.objects.count()

    seed(seed=5)
    first = snapshot()
    User.objects.filter(username__startswith="demo_").delete()
    seed(seed=5)
    assert snapshot() == first
    User.objects.filter(username__startswith="demo_").delete()
    seed(seed=6)
    assert snapshot() != first


def test_seeded_tweets_and_accounts_are_searchable(api_client):
    seed(users=20, tweets=300, follows_per_user=3)
    # Every tweet is searchable; reposts have no text of their own.
    assert (
        TweetSearchDocument.objects.count() == Tweet.objects.filter(repost_of__isnull=True).count()
    )
    assert AccountSearchDocument.objects.count() == User.objects.count()
    found = api_client.get(f"{API}/tweets", {"search": "오늘", "limit": 100}).json()["results"]
    assert found
    assert all("오늘" in tweet["text"] for tweet in found)
    named = User.objects.filter(display_name__regex=r"^[가-힣]{3}$").first()
    accounts = api_client.get(f"{API}/accounts", {"search": named.display_name[1:]}).json()
    assert named.username in [account["username"] for account in accounts["results"]]


def test_seeded_users_can_log_in(api_client):
    seed(users=3, tweets=5, follows_per_user=1)
    response = api_client.post(
        f"{API}/auth/token",
        {"username": "demo_000001", "password": "minitter-demo-password"},
        format="json",
    )
    assert response.status_code == 200


def test_seed_demo_refuses_taken_names_and_bad_sizes():
    seed(users=3, tweets=3, follows_per_user=1)
    with pytest.raises(CommandError, match="exist already"):
        seed(users=3, tweets=3, follows_per_user=1)
    with pytest.raises(CommandError):
        seed(users=1, prefix="other")
    with pytest.raises(CommandError):
        seed(prefix="bad-prefix!")
    with pytest.raises(CommandError):
        call_command("seed_demo", "--users", "-5", "--tweets", "1", "--follows-per-user", "1")
    # More tweets than the window has milliseconds: refused before any account is made.
    with pytest.raises(CommandError, match="At most"):
        seed(users=2, tweets=10**20, follows_per_user=1, prefix="big")
    assert not User.objects.filter(username__startswith="big_").exists()


@pytest.mark.parametrize("size", ["0", "99999999999999999999"])
def test_recount_refuses_a_batch_size_out_of_range(size):
    with pytest.raises(CommandError, match="must be from 1"):
        call_command("recount", "--batch-size", size)


def test_moderation_stats_reports_open_reports_and_recent_actions():
    moderator = UserFactory(is_staff=True)
    Report.objects.create(reporter=UserFactory(), tweet=TweetFactory(), reason="spam")
    Report.objects.create(reporter=UserFactory(), account=UserFactory(), reason="abuse")
    services.tweet_set_hidden(tweet=TweetFactory(), hidden=True, moderator=moderator, reason="spam")
    old = ModerationAction.objects.create(moderator=moderator, kind="dismiss_report", reason="x")
    ModerationAction.objects.filter(pk=old.pk).update(
        created_at=old.created_at.replace(year=old.created_at.year - 1)
    )

    out = StringIO()
    call_command("moderation_stats", "--json", stdout=out)
    stats = json.loads(out.getvalue())
    assert stats["open_reports"] == 2
    assert stats["open_reports_by_reason"] == {"spam": 1, "abuse": 1}
    assert stats["actions"]["last_day"] == {"hide_tweet": 1}
    assert stats["actions"]["last_week"] == {"hide_tweet": 1}

    text = StringIO()
    call_command("moderation_stats", stdout=text)
    assert "Open reports: 2 (1 on tweets, 1 on accounts)" in text.getvalue()


def test_createsuperuser_works_with_the_custom_user_model(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-passphrase")
    call_command(
        "createsuperuser",
        interactive=False,
        username="site_admin",
        email="admin@example.com",
        stdout=StringIO(),
    )
    admin = User.objects.get(username="site_admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("a-long-admin-passphrase")
    assert os.environ["DJANGO_SUPERUSER_PASSWORD"]
