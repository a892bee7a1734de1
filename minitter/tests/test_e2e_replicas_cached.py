"""End to end with a lagging replica and Redis keeping copies of pages and token accounts
(``core/copies.py``): a copy is made only from the primary, so a write that a replica has not
replayed yet is never kept behind the stamp it renewed, and everyone sees it once it is there.
"""

import subprocess
import sys

import pytest
import requests

from core.testing import API
from minitter.tests.test_e2e_production import BASE_DIR
from minitter.tests.test_e2e_replicas import account, caught_up, lagging, replica_cluster

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster():
    with replica_cluster(redis=True) as running:
        yield running


def kept_tweet(cluster, text: str):
    """An author, an anonymous reader and the URL of the author's tweet, whose copy the
    reader's reads have kept (the first learns its rows, the second keeps it, the third is
    served from it)."""
    url = cluster["url"]
    author, reader = account(url), requests.Session()
    tweet = author.post(f"{url}{API}/tweets", json={"text": text}, timeout=10).json()
    tweet_url = f"{url}{API}/tweets/{tweet['id']}"
    caught_up(cluster)
    for _ in range(3):
        assert reader.get(tweet_url, timeout=10).json()["text"] == text
    return author, reader, tweet_url


def shell(cluster, code: str) -> None:
    """Run ``code`` in ``manage.py shell`` against the cluster: a write whose request does not
    read the tweet back (an API response would keep a fresh copy from the primary itself)."""
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=cluster["env"],
        check=True,
        timeout=120,
        capture_output=True,
    )


def test_an_edit_made_while_the_replica_lags_is_seen_by_everyone(cluster):
    author, reader, tweet_url = kept_tweet(cluster, "first")
    tweet_id = tweet_url.rstrip("/").rsplit("/", 1)[-1]
    with lagging(cluster):
        shell(
            cluster,
            "from tweets.models import Tweet; from tweets.services import tweet_update;"
            f"tweet = Tweet.objects.get(pk={tweet_id});"
            "tweet_update(tweet=tweet, editor=tweet.author, text='second')",
        )
        assert reader.get(tweet_url, timeout=10).json()["text"] == "second"  # read the primary
        assert author.get(tweet_url, timeout=10).json()["text"] == "second"
    for _ in range(2):
        assert reader.get(tweet_url, timeout=10).json()["text"] == "second"
        assert author.get(tweet_url, timeout=10).json()["text"] == "second"


def test_a_new_display_name_made_while_the_replica_lags_is_seen_by_everyone(cluster):
    url = cluster["url"]
    author, reader, tweet_url = kept_tweet(cluster, "hello")
    assert reader.get(tweet_url, timeout=10).json()["author"]["display_name"] == ""
    with lagging(cluster):
        changed = author.patch(f"{url}{API}/accounts/me", json={"display_name": "New"}, timeout=10)
        assert changed.status_code == 200, changed.text
        reader.get(tweet_url, timeout=10)
    for client in (reader, author):
        assert client.get(tweet_url, timeout=10).json()["author"]["display_name"] == "New"


def test_a_suspension_made_while_the_replica_lags_refuses_the_token_at_once(cluster):
    url = cluster["url"]
    member = account(url)
    caught_up(cluster)
    assert member.get(f"{url}{API}/accounts/me", timeout=10).status_code == 200
    with lagging(cluster):
        shell(
            cluster,
            "from accounts.models import User; from accounts.services import user_set_suspended;"
            f"user_set_suspended(user=User.objects.get(username='{member.username}'),"
            " suspended=True)",
        )
        assert member.get(f"{url}{API}/accounts/me", timeout=10).status_code == 401
    statuses = [member.get(f"{url}{API}/accounts/me", timeout=10).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
