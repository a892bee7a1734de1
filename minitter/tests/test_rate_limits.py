"""Every write is limited per user and per address, with rate-limit headers; the HTML login forms
share the API login's limits; requests at the same moment are all counted."""

import time
from functools import partial
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.throttles import LoginUsernameThrottle
from core import cache as core_cache
from core.models import RateWindow
from core.testing import API, upload
from core.testing.races import postgres_only, race
from tweets.models import Tweet
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }

    return set_rates


def test_writes_carry_rate_limit_headers_and_reads_do_not(auth_client, user):
    client = auth_client(user)
    response = client.post(f"{API}/tweets", {"text": "one"}, format="json")
    assert response.status_code == 201
    assert response["X-RateLimit-Limit"] == "60"
    assert response["X-RateLimit-Remaining"] == "59"
    assert 0 < int(response["X-RateLimit-Reset"]) <= 60
    assert "X-RateLimit-Limit" not in client.get(f"{API}/tweets")


@pytest.mark.parametrize(
    "write",
    [
        lambda client, tweet: client.post(f"{API}/tweets", {"text": "hi"}, format="json"),
        lambda client, tweet: client.post(
            f"{API}/tweets", {"text": "re", "in_reply_to": str(tweet.id)}, format="json"
        ),
        lambda client, tweet: client.post(f"{API}/tweets/{tweet.id}/like"),
        lambda client, tweet: client.post(f"{API}/accounts/{tweet.author.username}/follow"),
    ],
    ids=["post", "reply", "like", "follow"],
)
def test_writes_over_the_per_user_limit_are_429_with_retry_after(auth_client, user, rates, write):
    rates(write_user="3/min")
    tweet = TweetFactory()
    client = auth_client(user)
    statuses = [write(client, tweet).status_code for _ in range(3)]
    assert all(status < 300 for status in statuses), statuses
    response = write(client, tweet)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Remaining"] == "0"
    # Someone else still may write.
    assert write(auth_client(UserFactory()), tweet).status_code < 300


def test_writes_are_limited_per_address_across_users(auth_client, rates):
    rates(write_ip="2/min")
    for _ in range(2):
        client = auth_client(UserFactory())
        assert client.post(f"{API}/tweets", {"text": "x"}, format="json").status_code == 201
    response = auth_client(UserFactory()).post(f"{API}/tweets", {"text": "x"}, format="json")
    assert response.status_code == 429
    assert Tweet.objects.count() == 2


def test_uploads_have_their_own_stricter_limit(auth_client, user, rates):
    rates(upload_user="1/min")
    client = auth_client(user)
    assert upload(client).status_code == 201
    assert upload(client).status_code == 429
    assert client.post(f"{API}/tweets", {"text": "still fine"}, format="json").status_code == 201


@pytest.mark.parametrize("path", ["/api-auth/login/", "/admin/login/"])
def test_html_login_forms_share_the_login_limit(client, rates, path):
    rates(login_username="3/min")
    user = UserFactory(is_staff=True)
    statuses = [
        client.post(path, {"username": user.username, "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # The right password is refused too while the limit holds.
    response = client.post(path, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_html_login_form_attempts_count_against_the_api_login(client, api_client, rates):
    rates(login_username="2/min")
    user = UserFactory()
    for _ in range(2):
        client.post("/api-auth/login/", {"username": user.username, "password": "wrong"})
    response = api_client.post(
        f"{API}/auth/token", {"username": user.username, "password": "wrong"}, format="json"
    )
    assert response.status_code == 429


def logins_allowed_at_once(attempts: int) -> int:
    """How many of ``attempts`` logins for one username, all at the same moment, the per-username
    limit lets through."""
    request = SimpleNamespace(META={"REMOTE_ADDR": "192.0.2.1"}, data={"username": "alice"})
    results = race(
        *[partial(LoginUsernameThrottle().allow_request, request, None) for _ in range(attempts)]
    )
    assert not [result for result in results if isinstance(result, BaseException)]
    return results.count(True)


def test_logins_at_the_same_moment_are_all_counted(rates):
    rates(login_username="5/min")
    assert logins_allowed_at_once(24) == 5


@pytest.fixture
def database_cache(settings):
    """The default cache switched to Django's database cache, as production without Redis has
    it, in a table of its own that starts empty (flushing the test database leaves tables
    without a model alone), keeping at most 10 entries: rate limits count elsewhere."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "test_cache",
            "OPTIONS": {"MAX_ENTRIES": 10},
        }
    }
    call_command("createcachetable")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM test_cache")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE test_cache")


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_logins_at_the_same_moment_are_all_counted_in_the_database_cache(rates, database_cache):
    rates(login_username="5/min")
    assert logins_allowed_at_once(24) == 5
    # Counting keeps the window's end: it closes a minute after it opened, not later.
    window = RateWindow.objects.get()
    assert window.count == 24
    assert window.closes_at <= time.time() * 1000 + 60_000


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_logins_at_the_same_moment_as_a_window_closes_are_all_counted_in_the_database_cache(
    rates, database_cache
):
    rates(login_username="5/min")
    assert logins_allowed_at_once(24) == 5
    for _ in range(5):  # a race: several windows make a lost count all but certain to show
        # The window is over; its row is still there.
        RateWindow.objects.update(closes_at=int(time.time() * 1000) - 1000)
        # Each one finds the old window closed: one opens the next, the others count in it.
        assert logins_allowed_at_once(24) == 5


def test_a_limit_in_the_database_cache_holds_however_many_entries_the_cache_keeps(
    rates, database_cache
):
    """The cache deletes the first third of its entries (by key) whenever it holds more than
    ``MAX_ENTRIES``; the windows of rate limits are not among them. (They were: 27 of these 30
    logins passed a limit of 5.)"""
    rates(login_username="5/min")
    for number in range(30):
        cache.set(f"~after-the-limits-{number}", number)
        throttle = LoginUsernameThrottle()
        request = SimpleNamespace(META={"REMOTE_ADDR": "192.0.2.1"}, data={"username": "bob"})
        assert throttle.allow_request(request, None) == (number < 5)
        assert throttle.wait() == pytest.approx(60, abs=2)
    assert RateWindow.objects.get().count == 30


def test_closed_windows_are_purged_as_new_ones_open(database_cache, monkeypatch):
    monkeypatch.setattr(core_cache, "PURGE_ONE_IN", 1)
    core_cache.window_count(cache, "open", 60)
    core_cache.window_count(cache, "closing", 60)
    RateWindow.objects.filter(key__endswith="closing").update(closes_at=0)
    assert core_cache.window_count(cache, "new", 60) == (1, pytest.approx(60, abs=1))
    assert sorted(
        key.rsplit(":", 1)[-1] for key in RateWindow.objects.values_list("key", flat=True)
    ) == ["new", "open"]


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_counting_at_the_same_moment_in_many_windows_as_they_close_never_fails(
    database_cache, monkeypatch
):
    """Sixteen requests at a time count in a few windows that keep closing, and purge the closed
    ones every time they open one: none fails (no two wait for each other), and a window that
    stays open counts every request."""
    monkeypatch.setattr(core_cache, "PURGE_ONE_IN", 1)
    keys = [f"busy-{number}" for number in range(4)]

    def count_many():
        for step in range(60):
            key = keys[step % len(keys)]
            core_cache.window_count(cache, key, 1)
            if step % 6 == 0:
                core_cache.window_count(cache, "steady", 60)
                RateWindow.objects.filter(key__endswith=key).update(closes_at=0)

    results = race(*[count_many for _ in range(16)])
    assert not [result for result in results if isinstance(result, BaseException)], results
    assert RateWindow.objects.get(key__endswith="steady").count == 16 * 10
