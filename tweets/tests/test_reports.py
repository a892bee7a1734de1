"""Reporting tweets and accounts through the API."""

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services
from tweets.models import Report, Tweet
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db

URL = f"{API}/reports"


def test_reporting_a_tweet_creates_an_open_report(auth_client, user):
    tweet = TweetFactory()
    response = auth_client(user).post(
        URL, {"tweet": str(tweet.id), "reason": "spam", "comment": "buy now"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["tweet"] == str(tweet.id) and body["account"] is None
    assert (body["reason"], body["status"], body["comment"]) == ("spam", "open", "buy now")
    report = Report.objects.get()
    assert report.reporter == user and report.tweet == tweet


def test_reporting_the_same_thing_twice_is_idempotent(auth_client, user):
    other = UserFactory(username="troll_account")
    client = auth_client(user)
    first = client.post(URL, {"account": "TROLL_account", "reason": "abuse"}, format="json")
    second = client.post(URL, {"account": "troll_account", "reason": "abuse"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["account"] == other.username
    assert Report.objects.count() == 1
    # Another reporter's report is their own.
    assert (
        auth_client(UserFactory())
        .post(URL, {"account": "troll_account", "reason": "abuse"}, format="json")
        .status_code
        == 201
    )


def test_reporting_yourself_is_400(auth_client, user):
    client = auth_client(user)
    own_tweet = TweetFactory(author=user)
    for payload in [{"account": user.username}, {"tweet": str(own_tweet.id)}]:
        response = client.post(URL, {**payload, "reason": "other"}, format="json")
        assert response.status_code == 400
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"reason": "spam"},
        {"tweet": "1", "account": "someone", "reason": "spam"},
        {"tweet": "99999", "reason": "spam"},
        {"tweet": "abc", "reason": "spam"},
        {"tweet": "9999999999999999999", "reason": "spam"},
        {"account": "nobody_here", "reason": "spam"},
        {"account": "someone_real", "reason": "boring"},
        {"account": "someone_real"},
        {"account": "someone_real", "reason": "spam", "comment": "x" * 1001},
        {"account": 12345, "reason": "spam"},
    ],
)
def test_bad_reports_are_400_and_create_nothing(auth_client, user, payload):
    UserFactory(username="someone_real")
    response = auth_client(user).post(URL, payload, format="json")
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_reporting_needs_login(api_client):
    tweet = TweetFactory()
    response = api_client.post(URL, {"tweet": str(tweet.id), "reason": "spam"}, format="json")
    assert response.status_code == 401


def test_a_comment_over_1000_characters_is_refused_and_files_nothing(auth_client, user):
    tweet = TweetFactory()
    with pytest.raises(ValidationError, match="1000"):
        services.report_create(reporter=user, reason="spam", tweet=tweet, comment="x" * 1001)
    assert not Report.objects.exists()


def test_a_tweet_deleted_before_its_report_is_filed_is_refused_not_a_500(user):
    tweet = TweetFactory()
    Tweet.objects.filter(pk=tweet.pk).delete()  # after the view found it
    with pytest.raises(ValidationError) as refused:
        services.report_create(reporter=user, reason="spam", tweet=tweet)
    assert refused.value.message_dict == {"tweet": ["That tweet does not exist."]}
    assert not Report.objects.exists()


def test_an_account_deactivated_before_its_report_is_filed_is_refused(user):
    account = UserFactory()
    type(account).objects.filter(pk=account.pk).update(is_active=False)
    with pytest.raises(ValidationError) as refused:
        services.report_create(reporter=user, reason="abuse", account=account)
    assert refused.value.message_dict == {"account": ["No account with that username."]}
    assert not Report.objects.exists()
