"""A block hides the two accounts from each other in every list of the API, whichever of them
blocked, while everyone else still sees both."""

import pytest

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def ids(response):
    return [item["id"] for item in results(response)]


def usernames(response):
    return [item["username"] for item in results(response)]


@pytest.fixture(params=["viewer blocks", "viewer is blocked"])
def blocked_pair(request):
    """A viewer and another account, one blocking the other (either way round)."""
    viewer = UserFactory(username="viewer", display_name="Viewer")
    other = UserFactory(username="other", display_name="Other")
    if request.param == "viewer blocks":
        services.block_create(blocker=viewer, blocked=other)
    else:
        services.block_create(blocker=other, blocked=viewer)
    return viewer, other


@pytest.fixture
def bystander():
    return UserFactory(username="bystander", display_name="Bystander")


def test_account_search_and_list_leave_out_blocked_accounts(
    blocked_pair, bystander, auth_client, api_client
):
    viewer, other = blocked_pair
    client = auth_client(viewer)
    assert usernames(client.get(f"{API}/accounts", {"search": "other"})) == []
    assert other.username not in usernames(client.get(f"{API}/accounts"))
    assert usernames(auth_client(bystander).get(f"{API}/accounts", {"search": "other"})) == [
        "other"
    ]
    assert usernames(api_client.get(f"{API}/accounts", {"search": "other"})) == ["other"]


def test_profile_tweets_are_empty_between_blocked_accounts(
    blocked_pair, bystander, auth_client, api_client
):
    viewer, other = blocked_pair
    tweet = TweetFactory(author=other)
    url = f"{API}/accounts/{other.username}/tweets"
    assert ids(auth_client(viewer).get(url)) == []
    assert ids(auth_client(bystander).get(url)) == [str(tweet.id)]
    assert ids(api_client.get(url)) == [str(tweet.id)]


def test_profile_tweets_leave_out_reposts_of_a_blocked_account(
    blocked_pair, bystander, auth_client
):
    viewer, other = blocked_pair
    own = TweetFactory(author=bystander)
    shared = repost(bystander, TweetFactory(author=other))
    url = f"{API}/accounts/{bystander.username}/tweets"
    assert ids(auth_client(viewer).get(url)) == [str(own.id)]
    assert ids(auth_client(bystander).get(url)) == [str(shared.id), str(own.id)]


def test_reposts_list_leaves_out_blocked_accounts(blocked_pair, bystander, auth_client):
    viewer, other = blocked_pair
    tweet = TweetFactory(author=bystander)
    repost(other, tweet)
    repost(bystander, tweet)
    url = f"{API}/tweets/{tweet.id}/reposts"
    assert usernames(auth_client(viewer).get(url)) == ["bystander"]
    assert usernames(auth_client(bystander).get(url)) == ["bystander", "other"]


def test_likes_list_leaves_out_blocked_accounts(blocked_pair, bystander, auth_client):
    viewer, other = blocked_pair
    tweet = TweetFactory(author=bystander)
    services.like_create(user=other, tweet=tweet)
    services.like_create(user=bystander, tweet=tweet)
    url = f"{API}/tweets/{tweet.id}/likes"
    assert usernames(auth_client(viewer).get(url)) == ["bystander"]
    assert usernames(auth_client(bystander).get(url)) == ["bystander", "other"]


def test_bookmarks_of_a_blocked_account_are_hidden_until_unblocked(auth_client, bystander):
    viewer, other = UserFactory(), UserFactory()
    theirs, kept = TweetFactory(author=other), TweetFactory(author=bystander)
    services.bookmark_create(user=viewer, tweet=theirs)
    services.bookmark_create(user=viewer, tweet=kept)
    client = auth_client(viewer)

    services.block_create(blocker=other, blocked=viewer)
    assert ids(client.get(f"{API}/bookmarks")) == [str(kept.id)]
    services.block_delete(blocker=other, blocked=viewer)
    assert ids(client.get(f"{API}/bookmarks")) == [str(kept.id), str(theirs.id)]


def test_replies_leave_out_blocked_accounts(blocked_pair, bystander, auth_client):
    viewer, other = blocked_pair
    parent = TweetFactory(author=bystander)
    TweetFactory(author=other, in_reply_to=parent)
    answer = TweetFactory(author=bystander, in_reply_to=parent)
    assert ids(auth_client(viewer).get(f"{API}/tweets/{parent.id}/replies")) == [str(answer.id)]


def test_tag_timeline_leaves_out_blocked_accounts(blocked_pair, bystander, auth_client):
    viewer, other = blocked_pair
    TweetFactory(author=other, text="#Seoul coffee")
    kept = TweetFactory(author=bystander, text="#seoul rain")
    url = f"{API}/tags/seoul/tweets"
    assert ids(auth_client(viewer).get(url)) == [str(kept.id)]
    assert len(ids(auth_client(bystander).get(url))) == 2


def test_notifications_leave_out_blocked_accounts(auth_client, bystander):
    viewer, other = UserFactory(), UserFactory()
    tweet = TweetFactory(author=viewer)
    services.like_create(user=other, tweet=tweet)
    services.like_create(user=bystander, tweet=tweet)
    services.block_create(blocker=other, blocked=viewer)
    rows = results(auth_client(viewer).get(f"{API}/notifications"))
    assert [row["account"]["username"] for row in rows] == [bystander.username]


def test_tweet_search_leaves_out_blocked_accounts(blocked_pair, bystander, auth_client):
    viewer, other = blocked_pair
    TweetFactory(author=other, text="findable words")
    kept = TweetFactory(author=bystander, text="findable too")
    response = auth_client(viewer).get(f"{API}/tweets", {"search": "findable"})
    assert ids(response) == [str(kept.id)]


def test_followers_and_following_leave_out_blocked_accounts(blocked_pair, bystander, auth_client):
    viewer, other = blocked_pair
    followee = UserFactory(username="followee")
    follow(other, bystander)
    follow(viewer, bystander)
    follow(bystander, other)
    follow(bystander, followee)
    client = auth_client(viewer)
    assert usernames(client.get(f"{API}/accounts/bystander/followers")) == ["viewer"]
    assert usernames(client.get(f"{API}/accounts/bystander/following")) == ["followee"]
    assert usernames(auth_client(bystander).get(f"{API}/accounts/bystander/following")) == [
        "followee",
        "other",
    ]
