"""Moderation in the admin, as a moderator: hide, suspend, delete, reports, and the audit log.
Effects are checked through the public API and through token use."""

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import RefreshToken
from core.testing import API
from core.testing.images import image_bytes
from media.models import MediaFile
from tweets import services
from tweets.models import ModerationAction, Report, Tweet
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mod_jane", is_staff=True)
    user.groups.add(Group.objects.get(name="moderators"))
    return user


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


def act(client, changelist: str, action: str, ids, reason="Breaks the rules."):
    """Run an admin action the way a browser does: pick it, then confirm with a reason."""
    selection = {"action": action, "_selected_action": [str(pk) for pk in ids]}
    asked = client.post(changelist, selection)
    assert asked.status_code == 200
    assert "reason" in asked.content.decode()
    return client.post(changelist, {**selection, "apply": "Confirm", "reason": reason})


TWEETS = "/admin/tweets/tweet/"
USERS = "/admin/accounts/user/"
REPORTS = "/admin/tweets/report/"


def test_hiding_a_tweet_removes_it_everywhere_but_for_staff(
    moderator_client, moderator, api_client, auth_client
):
    author, reader = UserFactory(), UserFactory()
    follow(reader, author)
    parent = TweetFactory(text="parent")
    tweet = TweetFactory(author=author, text="offensive words", in_reply_to=parent)

    response = act(moderator_client, TWEETS, "hide_tweets", [tweet.id], reason="Abusive.")
    assert response.status_code == 302

    assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 404
    assert api_client.get(f"{API}/tweets", {"search": "offensive"}).json()["results"] == []
    assert api_client.get(f"{API}/tweets/{parent.id}/replies").json()["results"] == []
    assert api_client.get(f"{API}/tweets/{parent.id}").json()["reply_count"] == 0
    assert api_client.get(f"{API}/accounts/{author.username}").json()["tweets_count"] == 0
    assert auth_client(reader).get(f"{API}/timelines/home").json()["results"] == []
    assert auth_client(moderator).get(f"{API}/tweets/{tweet.id}").status_code == 200

    logged = ModerationAction.objects.get()
    assert (logged.moderator, logged.kind, logged.tweet_id, logged.reason) == (
        moderator,
        "hide_tweet",
        tweet.id,
        "Abusive.",
    )

    act(moderator_client, TWEETS, "unhide_tweets", [tweet.id], reason="Appeal accepted.")
    assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 200
    assert api_client.get(f"{API}/tweets/{parent.id}").json()["reply_count"] == 1
    assert api_client.get(f"{API}/accounts/{author.username}").json()["tweets_count"] == 1
    assert len(auth_client(reader).get(f"{API}/timelines/home").json()["results"]) == 1


@pytest.mark.parametrize("action", ["hide_tweets", "delete_tweets"])
def test_a_tweet_deleted_while_an_action_runs_is_reported_not_a_500(
    moderator_client, monkeypatch, action
):
    gone, kept = TweetFactory(text="gone"), TweetFactory(text="kept")
    name = "tweet_set_hidden" if action == "hide_tweets" else "tweet_delete_by_moderator"
    real = getattr(services, name)

    def after_someone_deleted_it(*, tweet, **kwargs):
        if tweet.pk == gone.pk:
            Tweet.objects.filter(pk=gone.pk).delete()
        return real(tweet=tweet, **kwargs)

    monkeypatch.setattr(services, name, after_someone_deleted_it)
    response = act(moderator_client, TWEETS, action, [gone.pk, kept.pk])
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("no longer exists" in message for message in shown)
    assert any("1 of 2 changed" in message for message in shown)


def test_suspending_an_account_another_moderator_just_suspended_records_nothing_more(moderator):
    account = UserFactory()
    stale = type(account).objects.get(pk=account.pk)  # loaded before the other suspension
    first = services.account_set_suspended(
        account=account, suspended=True, moderator=moderator, reason="Spam."
    )
    second = services.account_set_suspended(
        account=stale, suspended=True, moderator=moderator, reason="Spam."
    )
    assert (first, second) == (True, False)
    suspensions = ModerationAction.objects.filter(kind=ModerationAction.Kind.SUSPEND_ACCOUNT)
    assert suspensions.count() == 1


@pytest.mark.parametrize("target", ["moderator", "superuser"])
def test_a_moderator_cannot_suspend_staff_but_a_superuser_can(moderator, target):
    staff = UserFactory(is_staff=True, is_superuser=target == "superuser")
    with pytest.raises(ValidationError, match="Only a superuser"):
        services.account_set_suspended(
            account=staff, suspended=True, moderator=moderator, reason="Takeover."
        )
    staff.refresh_from_db()
    assert not staff.is_suspended
    assert not ModerationAction.objects.exists()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert services.account_set_suspended(
        account=staff, suspended=True, moderator=superuser, reason="Left the team."
    )


def test_action_without_a_reason_changes_nothing(moderator_client):
    tweet = TweetFactory()
    selection = {"action": "hide_tweets", "_selected_action": [str(tweet.id)], "apply": "1"}
    response = moderator_client.post(TWEETS, {**selection, "reason": "   "})
    assert response.status_code == 200  # the form again, with its error
    tweet.refresh_from_db()
    assert not tweet.is_hidden
    assert not ModerationAction.objects.exists()


def test_suspension_blocks_login_and_tokens_at_once_and_unsuspend_restores(
    moderator_client, api_client
):
    user = UserFactory()
    tweet = TweetFactory(author=user)
    refresh = RefreshToken.for_user(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    assert client.get(f"{API}/accounts/me").status_code == 200

    act(moderator_client, USERS, "suspend_accounts", [user.id], reason="Spam network.")

    assert client.get(f"{API}/accounts/me").status_code == 401
    refreshed = api_client.post(
        f"{API}/auth/token/refresh", {"refresh": str(refresh)}, format="json"
    )
    assert refreshed.status_code == 401
    login = api_client.post(
        f"{API}/auth/token",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert login.status_code == 401
    assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 404
    assert api_client.get(f"{API}/accounts/{user.username}").status_code == 404
    assert ModerationAction.objects.get().kind == "suspend_account"

    act(moderator_client, USERS, "unsuspend_accounts", [user.id], reason="Cleared.")

    assert client.get(f"{API}/accounts/me").status_code == 200
    assert (
        api_client.post(
            f"{API}/auth/token/refresh", {"refresh": str(refresh)}, format="json"
        ).status_code
        == 200
    )
    assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 200


def test_suspended_replies_leave_reply_counts(moderator_client, api_client):
    parent = TweetFactory()
    replier = UserFactory()
    TweetFactory(author=replier, in_reply_to=parent)
    act(moderator_client, USERS, "suspend_accounts", [replier.id])
    assert api_client.get(f"{API}/tweets/{parent.id}").json()["reply_count"] == 0


def test_deleting_a_tweet_deletes_its_media_and_is_logged(
    moderator_client, auth_client, user, django_capture_on_commit_callbacks, _media_in_tmp_dir
):
    client = auth_client(user)
    upload = client.post(
        f"{API}/media",
        {"file": SimpleUploadedFile("p.png", image_bytes("PNG"))},
        format="multipart",
    ).json()
    tweet_id = client.post(
        f"{API}/tweets", {"text": "pic", "media_ids": [upload["id"]]}, format="json"
    ).json()["id"]
    stored = MediaFile.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        act(moderator_client, TWEETS, "delete_tweets", [tweet_id], reason="Illegal content.")

    assert not Tweet.objects.exists()
    assert not MediaFile.objects.exists()
    assert not (_media_in_tmp_dir / stored.file).exists()
    logged = ModerationAction.objects.get()
    assert (logged.kind, logged.tweet_id) == ("delete_tweet", int(tweet_id))


def test_report_queue_lists_open_reports_first_grouped_with_text_and_pictures(
    moderator_client, auth_client, user
):
    client = auth_client(user)
    upload = client.post(
        f"{API}/media",
        {"file": SimpleUploadedFile("p.png", image_bytes("PNG")), "description": "the pic"},
        format="multipart",
    ).json()
    reported = client.post(
        f"{API}/tweets", {"text": "the reported words", "media_ids": [upload["id"]]}, format="json"
    ).json()
    other = TweetFactory()
    closed = Report.objects.create(reporter=UserFactory(), tweet=other, reason="spam")
    Report.objects.filter(pk=closed.pk).update(status=Report.Status.DISMISSED)
    first = Report.objects.create(reporter=UserFactory(), tweet_id=reported["id"], reason="abuse")
    Report.objects.create(reporter=UserFactory(), tweet=other, reason="spam")
    second = Report.objects.create(reporter=UserFactory(), tweet_id=reported["id"], reason="spam")

    response = moderator_client.get(REPORTS)
    rows = list(response.context["cl"].result_list)
    assert [r.status for r in rows] == ["open", "open", "open", "dismissed"]
    # Reports of the same tweet sit together.
    same_target = [r.pk for r in rows if str(r.tweet_id) == reported["id"]]
    assert sorted(same_target) == sorted([first.pk, second.pk])
    positions = [rows.index(r) for r in rows if r.pk in same_target]
    assert positions[1] - positions[0] == 1
    page = response.content.decode()
    assert "the reported words" in page
    assert 'alt="the pic"' in page


def test_a_report_of_a_repost_shows_the_reposted_text_in_the_queue(moderator_client):
    original = TweetFactory(text="boosted words")
    repost, _ = services.repost_create(user=UserFactory(), tweet=original)
    Report.objects.create(reporter=UserFactory(), tweet=repost, reason="abuse")  # kept no words
    page = moderator_client.get(REPORTS).content.decode()
    assert f"repost of {original.pk} by @{original.author.username}: boosted words" in page


def test_hiding_from_the_report_queue_hides_the_tweet_and_resolves(moderator_client, api_client):
    tweet = TweetFactory()
    report = Report.objects.create(reporter=UserFactory(), tweet=tweet, reason="abuse")
    act(moderator_client, REPORTS, "hide_reported_tweets", [report.id], reason="Confirmed abuse.")
    report.refresh_from_db()
    assert report.status == "resolved"
    assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 404
    assert set(ModerationAction.objects.values_list("kind", flat=True)) == {
        "hide_tweet",
        "resolve_report",
    }


def report_of(tweet=None, account=None, status="open") -> Report:
    report = Report.objects.create(
        reporter=UserFactory(), tweet=tweet, account=account, reason="abuse"
    )
    if status != "open":
        Report.objects.filter(pk=report.pk).update(status=status)
    return report


def statuses(*reports) -> list[str]:
    return [Report.objects.get(pk=report.pk).status for report in reports]


@pytest.mark.parametrize("action", ["hide_reported_tweets", "delete_reported_tweets"])
def test_acting_on_a_reported_tweet_resolves_every_open_report_about_it(moderator_client, action):
    """Two reports of one tweet selected together: the action on the first answers both (each
    recorded), and the second is not acted on again nor warned about."""
    tweet, other = TweetFactory(), TweetFactory()
    first, second = report_of(tweet), report_of(tweet)
    dismissed, elsewhere = report_of(tweet, status="dismissed"), report_of(other)
    response = act(moderator_client, REPORTS, action, [first.id, second.id], reason="Confirmed.")
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert not any("no longer exists" in text or "nothing left" in text for text in shown), shown
    assert statuses(first, second, dismissed, elsewhere) == [
        "resolved",
        "resolved",
        "dismissed",
        "open",
    ]
    resolved = ModerationAction.objects.filter(kind="resolve_report")
    assert sorted(resolved.values_list("report_id", "tweet_id")) == sorted(
        [(first.id, tweet.id), (second.id, tweet.id)]
    )
    assert set(resolved.values_list("reason", flat=True)) == {"Confirmed."}


def test_suspending_an_account_resolves_the_open_reports_about_it_and_its_tweets(moderator):
    author, bystander = UserFactory(), UserFactory()
    about_account, about_tweet = report_of(account=author), report_of(TweetFactory(author=author))
    unrelated = report_of(TweetFactory(author=bystander))
    services.account_set_suspended(account=author, suspended=True, moderator=moderator, reason="x")
    assert statuses(about_account, about_tweet, unrelated) == ["resolved", "resolved", "open"]
    # Restoring it reopens nothing and resolves nothing more.
    later = report_of(account=author)
    services.account_set_suspended(account=author, suspended=False, moderator=moderator, reason="y")
    assert statuses(about_account, later) == ["resolved", "open"]


def test_a_staff_delete_through_the_api_resolves_the_reports_of_the_tweet_and_its_reposts(
    auth_client, moderator
):
    tweet, other = TweetFactory(), TweetFactory()
    repost, _ = services.repost_create(user=UserFactory(), tweet=tweet)
    about_tweet, about_repost, elsewhere = report_of(tweet), report_of(repost), report_of(other)
    response = auth_client(moderator).delete(f"{API}/tweets/{tweet.id}")
    assert response.status_code == 204
    assert statuses(about_tweet, about_repost, elsewhere) == ["resolved", "resolved", "open"]
    assert set(
        ModerationAction.objects.filter(kind="resolve_report").values_list("reason", flat=True)
    ) == {"Deleted by staff through the API."}


def test_an_author_deleting_their_reported_tweet_leaves_its_reports_to_moderators(auth_client):
    tweet = TweetFactory()
    report = report_of(tweet)
    assert auth_client(tweet.author).delete(f"{API}/tweets/{tweet.id}").status_code == 204
    assert statuses(report) == ["open"]


def test_staff_deleting_their_own_tweet_through_the_api_leaves_its_reports(auth_client, moderator):
    tweet = TweetFactory(author=moderator)
    report = report_of(tweet)
    assert auth_client(moderator).delete(f"{API}/tweets/{tweet.id}").status_code == 204
    assert statuses(report) == ["open"]
    assert not ModerationAction.objects.exists()


def test_a_moderator_deleting_their_own_tweet_as_moderation_records_it_and_resolves(moderator):
    tweet = TweetFactory(author=moderator)
    report = report_of(tweet)
    services.tweet_delete_by_moderator(tweet=tweet, moderator=moderator, reason="Own mistake.")
    assert statuses(report) == ["resolved"]
    assert sorted(ModerationAction.objects.values_list("kind", flat=True)) == [
        "delete_tweet",
        "resolve_report",
    ]


def test_unhiding_a_tweet_leaves_its_new_reports_open(moderator):
    tweet = TweetFactory()
    services.tweet_set_hidden(tweet=tweet, hidden=True, moderator=moderator, reason="x")
    report = report_of(tweet)
    services.tweet_set_hidden(tweet=tweet, hidden=False, moderator=moderator, reason="y")
    assert statuses(report) == ["open"]


def test_suspending_from_a_tweet_report_suspends_its_author(moderator_client):
    tweet = TweetFactory()
    report = Report.objects.create(reporter=UserFactory(), tweet=tweet, reason="spam")
    act(moderator_client, REPORTS, "suspend_reported_accounts", [report.id])
    tweet.author.refresh_from_db()
    assert tweet.author.is_suspended


def test_dismissing_a_report_closes_it_and_is_logged(moderator_client, moderator):
    report = Report.objects.create(reporter=UserFactory(), account=UserFactory(), reason="other")
    act(moderator_client, REPORTS, "dismiss_reports", [report.id], reason="Not a violation.")
    report.refresh_from_db()
    assert (report.status, report.handled_by) == ("dismissed", moderator)
    assert ModerationAction.objects.get().kind == "dismiss_report"


def test_regular_user_cannot_reach_the_admin_or_its_actions(client):
    tweet = TweetFactory()
    client.force_login(UserFactory())
    assert client.get(TWEETS).status_code == 302
    response = client.post(
        TWEETS,
        {"action": "hide_tweets", "_selected_action": [tweet.id], "apply": "1", "reason": "x"},
    )
    assert response.status_code == 302
    tweet.refresh_from_db()
    assert not tweet.is_hidden


def test_staff_without_the_moderators_group_cannot_moderate(client):
    tweet = TweetFactory()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(TWEETS).status_code == 403
    client.post(
        TWEETS,
        {"action": "hide_tweets", "_selected_action": [tweet.id], "apply": "1", "reason": "x"},
    )
    tweet.refresh_from_db()
    assert not tweet.is_hidden


def test_moderators_cannot_touch_passwords_or_edit_accounts(moderator_client, moderator):
    user = UserFactory()
    assert moderator_client.get(f"{USERS}{user.id}/password/").status_code == 403
    response = moderator_client.post(f"{USERS}{user.id}/change/", {"username": "renamed"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.username != "renamed"
    assert moderator_client.get(f"{USERS}{user.id}/change/").status_code == 200  # read-only view
    assert not moderator.is_superuser
    assert not moderator.has_perm("accounts.change_user")


def test_change_page_buttons_lead_to_the_same_audited_action(moderator_client, api_client):
    tweet = TweetFactory()
    page = moderator_client.get(f"{TWEETS}{tweet.id}/change/").content.decode()
    assert 'name="action" value="hide_tweets"' in page
    assert "Hide tweets" in page
    response = act(moderator_client, TWEETS, "hide_tweets", [tweet.id], reason="From the button.")
    assert response.status_code == 302
    assert api_client.get(f"{API}/tweets/{tweet.id}").status_code == 404

    user_page = moderator_client.get(f"{USERS}{tweet.author_id}/change/").content.decode()
    assert 'value="suspend_accounts"' in user_page


def test_suspension_keeps_counts_equal_to_what_lists_show(moderator_client, api_client):
    star, fan = UserFactory(), UserFactory()
    tweet = TweetFactory(author=star)
    follow(fan, star)
    follow(star, fan)
    api = APIClient()
    api.force_authenticate(fan)
    api.post(f"{API}/tweets/{tweet.id}/like")

    def listed(path):
        return len(api_client.get(path).json()["results"])

    def counts():
        profile = api_client.get(f"{API}/accounts/{star.username}").json()
        liked = api_client.get(f"{API}/tweets/{tweet.id}").json()
        return (
            (profile["followers_count"], listed(f"{API}/accounts/{star.username}/followers")),
            (profile["following_count"], listed(f"{API}/accounts/{star.username}/following")),
            (liked["like_count"], listed(f"{API}/tweets/{tweet.id}/likes")),
        )

    assert counts() == ((1, 1), (1, 1), (1, 1))
    act(moderator_client, USERS, "suspend_accounts", [fan.id])
    assert counts() == ((0, 0), (0, 0), (0, 0))
    act(moderator_client, USERS, "unsuspend_accounts", [fan.id])
    assert counts() == ((1, 1), (1, 1), (1, 1))


def test_a_report_keeps_the_words_and_author_of_a_tweet_its_author_deleted(moderator_client):
    author, reporter = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="something <nasty>")
    services.tweet_update(tweet=tweet, editor=author, text="worse still")
    [(report, _made)] = services.reports_file(
        reporter=reporter, reason=Report.Reason.ABUSE, tweets=[tweet]
    )
    services.tweet_delete(tweet=tweet, actor=author)  # the evidence, deleted by its author
    report.refresh_from_db()
    assert (report.status, report.tweet_id) == (Report.Status.OPEN, None)
    assert (report.tweet_author_id, report.tweet_text) == (author.pk, "worse still")
    page = moderator_client.get("/admin/tweets/report/").content.decode()
    assert f"deleted tweet {tweet.pk} by @{author.username}" in page
    assert "worse still</span> (deleted)" in page
    found = moderator_client.get("/admin/tweets/report/", {"q": author.username})
    assert list(found.context["cl"].result_list) == [report]
    # The moderator can still suspend its author from the report, which resolves it.
    response = act(moderator_client, REPORTS, "suspend_reported_accounts", [report.pk])
    assert response.status_code == 302
    author.refresh_from_db()
    report.refresh_from_db()
    assert author.is_suspended
    assert report.status == Report.Status.RESOLVED


@pytest.mark.parametrize("how", ["suspension", "deletion"])
def test_reports_of_a_tweet_its_author_deleted_are_resolved_with_the_author(
    moderator, how, django_capture_on_commit_callbacks
):
    author, reporter = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="private words")
    [(report, _made)] = services.reports_file(reporter=reporter, reason="abuse", tweets=[tweet])
    services.tweet_delete(tweet=tweet, actor=author)
    if how == "suspension":
        services.account_set_suspended(
            account=author, suspended=True, moderator=moderator, reason="Abuse."
        )
    else:
        superuser = UserFactory(is_staff=True, is_superuser=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.account_delete(account=author, moderator=superuser)
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert ModerationAction.objects.filter(report_id=report.pk, kind="resolve_report").exists()
    # A deleted account's words go with it; a suspended one's stay for the moderators.
    assert report.tweet_text == ("" if how == "deletion" else "private words")


def test_a_deleted_accounts_words_in_a_report_of_a_repost_go_with_it_once_the_repost_is_gone(
    django_capture_on_commit_callbacks,
):
    """The original's author deletes the tweet (its reposts go with it), then the account is
    deleted: the report of the repost, which kept that account's words, is resolved and they go."""
    author, reposter = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="bad words", content_warning="cw")
    repost, _ = services.repost_create(user=reposter, tweet=tweet)
    [(report, _made)] = services.reports_file(
        reporter=UserFactory(), reason="abuse", tweets=[repost]
    )
    assert report.reposted_author_id == author.pk
    services.tweet_delete(tweet=tweet, actor=author)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(
            account=author, moderator=UserFactory(is_staff=True, is_superuser=True)
        )
    report.refresh_from_db()
    assert (report.status, report.tweet_text) == (Report.Status.RESOLVED, "")


def test_reports_filed_before_they_kept_the_tweets_id_get_it(db):
    tweet = services.tweet_create(author=UserFactory(), text="x")
    [(report, _made)] = services.reports_file(reporter=UserFactory(), reason="spam", tweets=[tweet])
    assert report.reported_tweet_id == tweet.pk
    Report.objects.update(reported_tweet_id=None)  # as the previous release filed it
    migration = importlib.import_module("tweets.migrations.0024_report_reported_tweet_id")
    migration.reported_tweet_ids_kept(None, SimpleNamespace(connection=connection))
    report.refresh_from_db()
    assert report.reported_tweet_id == tweet.pk


def test_reports_of_reposts_filed_before_they_kept_the_reposted_author_get_it(db):
    author = UserFactory()
    repost, _ = services.repost_create(
        user=UserFactory(), tweet=services.tweet_create(author=author, text="x")
    )
    [(report, _made)] = services.reports_file(
        reporter=UserFactory(), reason="spam", tweets=[repost]
    )
    Report.objects.update(reposted_author=None)  # as the previous release filed it
    migration = importlib.import_module("tweets.migrations.0023_report_reposted_author")
    migration.reposted_authors_kept(None, SimpleNamespace(connection=connection))
    report.refresh_from_db()
    assert report.reposted_author_id == author.pk


def test_a_report_keeps_the_version_reported_when_filed_before_an_edit_and_backfilled(db):
    """Reports filed before reports kept words get, from the migration, the version their tweet
    showed then: its history's, where it was edited since."""
    author, reporter = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="nasty then")
    [(report, _made)] = services.reports_file(reporter=reporter, reason="abuse", tweets=[tweet])
    repost, _ = services.repost_create(user=UserFactory(), tweet=tweet)
    [(of_repost, _made)] = services.reports_file(reporter=reporter, reason="spam", tweets=[repost])
    services.tweet_update(tweet=tweet, editor=author, text="clean now")
    Report.objects.update(tweet_author=None, tweet_text="")  # as the previous release filed them
    migration = importlib.import_module("tweets.migrations.0020_report_keeps_the_reported_words")
    migration.reported_words_kept(None, SimpleNamespace(connection=connection))
    report.refresh_from_db()
    of_repost.refresh_from_db()
    assert (report.tweet_author_id, report.tweet_text) == (author.pk, "nasty then")
    assert of_repost.tweet_text == f"repost of {tweet.pk} by @{author.username}: nasty then"


def test_reports_filed_before_they_kept_their_versions_time_get_it_from_the_history(db):
    """Migration 0022: the time of the version the words are, as 0020 chose them (the last edit
    made by the report's time, of the original for a repost); none for the tweet as posted."""
    author, reporter = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="first")
    [(of_posted, _made)] = services.reports_file(reporter=reporter, reason="abuse", tweets=[tweet])
    services.tweet_update(tweet=tweet, editor=author, text="nasty then")
    edited_then = Tweet.objects.get(pk=tweet.pk).edited_at
    repost, _ = services.repost_create(user=UserFactory(), tweet=tweet)
    reports = services.reports_file(reporter=UserFactory(), reason="spam", tweets=[tweet, repost])
    services.tweet_update(tweet=tweet, editor=author, text="clean now")
    Report.objects.update(tweet_edited_at=None)  # as the previous release filed them
    migration = importlib.import_module("tweets.migrations.0022_report_tweet_edited_at")
    migration.reported_version_times_kept(None, SimpleNamespace(connection=connection))
    of_posted.refresh_from_db()
    assert of_posted.tweet_edited_at is None
    for report, _made in reports:
        report.refresh_from_db()
        assert report.tweet_edited_at == edited_then


def test_a_report_keeps_a_content_warning_with_the_words(db):
    author = UserFactory()
    tweet = services.tweet_create(author=author, text="plain", content_warning="abusive words")
    [(report, _made)] = services.reports_file(
        reporter=UserFactory(), reason="abuse", tweets=[tweet]
    )
    assert report.tweet_text == "[abusive words] plain"
