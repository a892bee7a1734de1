"""Counters stay equal to their rows on every deletion path, and `recount` repairs them."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.testing import API
from tweets import services
from tweets.models import Follow, Like, Tweet
from tweets.tests.factories import TweetFactory, follow
from tweets.tests.test_admin_forms import form_as_shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def wrong_counters() -> dict:
    return {field: rows for field, rows in services.counters_recount(dry_run=True).items() if rows}


@pytest.fixture
def leaving():
    """An account that follows, is followed, likes and replies to someone else's tweets."""
    account, friend = UserFactory(), UserFactory()
    follow(account, friend)
    follow(friend, account)
    tweet = TweetFactory(author=friend)
    services.like_create(user=account, tweet=tweet)
    TweetFactory(author=account, in_reply_to=tweet)
    services.like_create(user=friend, tweet=TweetFactory(author=account))
    return account, friend, tweet


def test_deleting_a_user_keeps_counters_and_removes_their_uploads(leaving):
    account, friend, tweet = leaving
    services.account_delete(account=account)
    assert not User.objects.filter(pk=account.pk).exists()
    friend.refresh_from_db()
    tweet.refresh_from_db()
    assert (friend.followers_count, friend.following_count) == (0, 0)
    assert (tweet.like_count, tweet.reply_count) == (0, 0)
    assert wrong_counters() == {}


def test_deleting_users_in_the_admin_keeps_counters(admin_client):
    """Deleting accounts in the admin, one or several at a time, recounts what they were in."""
    account, other, friend = UserFactory(), UserFactory(), UserFactory()
    follow(account, friend)
    follow(friend, account)
    follow(other, friend)
    tweet = TweetFactory(author=friend)
    services.like_create(user=account, tweet=tweet)
    services.like_create(user=other, tweet=tweet)

    response = admin_client.post(f"/admin/accounts/user/{account.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    tweet.refresh_from_db()
    friend.refresh_from_db()
    assert (friend.followers_count, friend.following_count, tweet.like_count) == (1, 0, 1)
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[account.pk, other.pk]).exists()
    assert wrong_counters() == {}


def test_deleting_likes_and_follows_in_the_admin_keeps_counters(admin_client, leaving):
    account, _, tweet = leaving
    like = Like.objects.get(user=account, tweet=tweet)
    assert (
        admin_client.post(f"/admin/tweets/like/{like.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    follows = list(Follow.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/tweets/follow/",
        {"action": "delete_selected", "_selected_action": follows, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Follow.objects.exists()
    tweet.refresh_from_db()
    assert tweet.like_count == 0
    assert wrong_counters() == {}


def test_deactivating_an_account_keeps_the_counts_that_include_it(auth_client, leaving):
    account, friend, tweet = leaving
    TweetFactory(author=account, repost_of=tweet)
    services.counters_recount()
    response = auth_client(account).delete(
        f"{API}/accounts/me", {"password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 204
    friend.refresh_from_db()
    tweet.refresh_from_db()
    assert (friend.followers_count, friend.following_count) == (0, 0)
    assert (tweet.like_count, tweet.reply_count, tweet.repost_count) == (0, 0, 0)
    assert wrong_counters() == {}


def test_deactivating_and_reactivating_in_the_admin_keeps_counters(admin_client, leaving):
    account, friend, tweet = leaving

    def set_active(active: bool) -> None:
        url = f"/admin/accounts/user/{account.pk}/change/"
        form = form_as_shown(admin_client, url)  # as the browser posts the page
        form.pop("is_active", None)
        response = admin_client.post(url, form | ({"is_active": "on"} if active else {}))
        assert response.status_code == 302, response.content.decode()[:2000]

    set_active(False)
    friend.refresh_from_db()
    tweet.refresh_from_db()
    assert (friend.followers_count, tweet.like_count) == (0, 0)
    assert wrong_counters() == {}
    set_active(True)
    friend.refresh_from_db()
    tweet.refresh_from_db()
    assert (friend.followers_count, friend.following_count, tweet.like_count) == (1, 1, 1)
    assert wrong_counters() == {}


def test_recount_repairs_every_counter(leaving, capsys):
    account, _, tweet = leaving
    User.objects.update(followers_count=7, following_count=7, tweets_count=7)
    Tweet.objects.update(like_count=7, reply_count=7)

    call_command("recount", "--dry-run")
    assert "followers_count: would fix 2" in capsys.readouterr().out
    assert wrong_counters()

    call_command("recount")
    out = capsys.readouterr().out
    assert "like_count: fixed 3" in out
    assert wrong_counters() == {}
    tweet.refresh_from_db()
    assert (tweet.like_count, tweet.reply_count) == (1, 1)
    account.refresh_from_db()
    assert (account.followers_count, account.following_count, account.tweets_count) == (1, 1, 2)


def test_recount_works_in_ranges_and_shows_progress_per_counter(leaving, capsys):
    account = leaving[0]
    for _ in range(3):
        TweetFactory(author=account)
    User.objects.update(followers_count=7)
    Tweet.objects.update(like_count=7)
    users, tweets = User.objects.count(), Tweet.objects.count()
    calls = []

    fixed = services.counters_recount(batch_size=2, progress=lambda *args: calls.append(args[:3]))
    assert fixed["followers_count"] == users and fixed["like_count"] == tweets
    assert wrong_counters() == {}
    # Each counter moves in steps of one range (2 rows) from 0 to all of its table's rows.
    for field, total in [("followers_count", users), ("like_count", tweets)]:
        steps = [done for name, done, _ in calls if name == field]
        assert steps == [0, *range(2, total, 2), total]
        assert {size for name, _, size in calls if name == field} == {total}

    User.objects.update(tweets_count=0)
    call_command("recount", "--batch-size", "3")
    captured = capsys.readouterr()
    assert "tweets_count: fixed 2" in captured.out
    assert "Fixed 2 counters." in captured.out
    for field in ("followers_count", "like_count", "repost_count", "reply_count"):
        assert f"{field}: fixed 0" in captured.out
        assert f"{field} [" in captured.err
    assert f"100% {users}/{users} users, 2 wrong" in captured.err
    assert f"100% {tweets}/{tweets} tweets, 0 wrong" in captured.err
    with pytest.raises(CommandError):
        call_command("recount", "--batch-size", "0")
