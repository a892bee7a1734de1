"""Deleting accounts for good in the admin: with their tweets, uploads (stored objects included)
and the reports about them, after a confirmation that counts what goes instead of listing it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import default_storage
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.testing import on_postgresql, upload
from media.models import MediaFile
from tweets import services
from tweets.models import ModerationAction, Report, TagUse, Tweet
from tweets.services.accounts import deleted_reason
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def spammer(auth_client):
    """An account with an uploaded picture on a tweet, likes, follows, a repost of its tweet by
    someone else, open reports about it, its tweet and that repost, and one it filed."""
    account, friend, reporter = UserFactory(), UserFactory(), UserFactory()
    client = auth_client(account)
    media_id = upload(client).json()["id"]
    posted = client.post("/api/minitter/v1/tweets", {"text": "buy now", "media_ids": [media_id]})
    assert posted.status_code == 201, posted.content
    tweet = Tweet.objects.get(pk=posted.json()["id"])
    follow(account, friend)
    follow(friend, account)
    services.like_create(user=account, tweet=TweetFactory(author=friend))
    services.like_create(user=friend, tweet=tweet)
    repost, _ = services.repost_create(user=friend, tweet=tweet)
    services.report_create(reporter=reporter, reason="spam", account=account)
    services.report_create(reporter=reporter, reason="spam", tweet=tweet)
    services.report_create(reporter=reporter, reason="spam", tweet=repost)
    services.report_create(reporter=account, reason="spam", tweet=TweetFactory(author=friend))
    return account, friend


def wrong_counters() -> dict:
    return {field: rows for field, rows in services.counters_recount(dry_run=True).items() if rows}


def test_the_confirmation_counts_what_goes_without_asking_for_other_permissions(
    admin_client, spammer
):
    account, _ = spammer
    page = admin_client.get(f"/admin/accounts/user/{account.pk}/delete/")
    assert page.status_code == 200
    assert page.context["perms_lacking"] == set()
    assert dict(page.context["model_count"]) == {
        "accounts": 1,
        "tweets": 2,  # its own, and the repost of it
        "uploads": 1,
        "likes": 2,  # its own, and the one of its tweet
        "follows": 2,
        "reports": 2,  # about it, and the one it filed
        "open reports about their tweets, resolved and kept": 2,
    }
    assert account.username in page.content.decode()


def test_the_admin_deletes_an_account_with_its_tweets_uploads_and_reports(
    admin_client, superuser, spammer, django_capture_on_commit_callbacks
):
    account, friend = spammer
    reason = f"Account @{account.username} (id {account.pk}) deleted"
    assert deleted_reason(account) == reason
    stored = [
        key
        for media in MediaFile.objects.filter(owner=account)
        for key in (media.file, media.preview)
    ]
    assert stored and all(default_storage.exists(key) for key in stored)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{account.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=account.pk).exists()
    assert not Tweet.objects.filter(author=account).exists()
    assert not Tweet.objects.filter(author=friend, repost_of__isnull=False).exists()
    assert not MediaFile.objects.filter(owner=account).exists()
    assert not any(default_storage.exists(key) for key in stored)
    # The reports about its tweet and the repost stay, resolved, in the log; none is left open.
    assert not Report.objects.filter(status=Report.Status.OPEN).exists()
    assert set(Report.objects.values_list("status", "handled_by")) == {
        (Report.Status.RESOLVED, superuser.pk)
    }
    resolutions = ModerationAction.objects.filter(kind=ModerationAction.Kind.RESOLVE_REPORT)
    assert resolutions.count() == 3
    assert set(resolutions.values_list("moderator", "reason")) == {(superuser.pk, reason)}
    assert admin_client.get("/admin/tweets/report/").status_code == 200
    friend.refresh_from_db()
    assert (friend.followers_count, friend.following_count) == (0, 0)
    assert wrong_counters() == {}


def test_the_delete_action_deletes_several_accounts_with_their_uploads(admin_client, auth_client):
    accounts = [UserFactory(), UserFactory()]
    for account in accounts:
        assert upload(auth_client(account)).status_code == 201
    response = admin_client.post(
        "/admin/accounts/user/",
        {
            "action": "delete_selected",
            "_selected_action": [account.pk for account in accounts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[account.pk for account in accounts]).exists()
    assert not MediaFile.objects.exists()


def test_the_confirmation_takes_the_same_queries_however_much_goes(
    admin_client, spammer, django_assert_max_num_queries
):
    account, _ = spammer
    url = f"/admin/accounts/user/{account.pk}/delete/"
    with django_assert_max_num_queries(12):
        assert admin_client.get(url).status_code == 200
    TweetFactory.create_batch(30, author=account)
    for other in UserFactory.create_batch(10):
        follow(other, account)
    with django_assert_max_num_queries(12):
        page = admin_client.get(url)
    assert dict(page.context["model_count"])["tweets"] == 32


def test_moderators_cannot_delete_accounts(client, spammer):
    account, _ = spammer
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderators"))
    client.force_login(moderator)
    assert client.get(f"/admin/accounts/user/{account.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/accounts/user/{account.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert User.objects.filter(pk=account.pk).exists()
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 4


def test_nobody_deletes_their_own_account_here(admin_client, superuser):
    other = UserFactory()
    url = f"/admin/accounts/user/{superuser.pk}/delete/"
    assert admin_client.get(url).context["perms_lacking"] == {"your own account"}
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [other.pk, superuser.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk__in=[other.pk, superuser.pk]).count() == 2


def test_only_superusers_delete_staff_accounts(client, superuser):
    deleter = UserFactory(is_staff=True)
    deleter.user_permissions.add(
        Permission.objects.get(codename="delete_user", content_type__app_label="accounts")
    )
    deleter.user_permissions.add(
        Permission.objects.get(codename="view_user", content_type__app_label="accounts")
    )
    client.force_login(deleter)
    staff, superuser = UserFactory(is_staff=True), UserFactory(is_staff=True, is_superuser=True)
    for target in (staff, superuser):
        TweetFactory(author=target)
        url = f"/admin/accounts/user/{target.pk}/delete/"
        assert client.get(url).context["perms_lacking"] == {"staff accounts (superusers only)"}
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk__in=[staff.pk, superuser.pk]).count() == 2

    regular = UserFactory()
    TweetFactory(author=regular)
    response = client.post(f"/admin/accounts/user/{regular.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=regular.pk).exists()
    client.force_login(superuser)
    response = client.post(f"/admin/accounts/user/{staff.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=staff.pk).exists()


@pytest.mark.skipif(not on_postgresql(), reason="reads PostgreSQL's catalog")
def test_every_row_an_account_deletion_removes_is_found_through_an_index():
    """Deleting an account deletes the rows that refer to it, by each foreign key to it: each
    has an index that leads with it (a partial one does not serve those deletes), or the table
    would be scanned once per deleted account. Tag uses are left out: the hourly purge keeps
    them to a day, and an index would cost every tagged post."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.confrelid = %s::regclass
              AND array_length(c.conkey, 1) = 1
              AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
                  AND i.indpred IS NULL
              )
            """,
            [User._meta.db_table],
        )
        unindexed = set(cursor.fetchall())
    assert unindexed == {(TagUse._meta.db_table, "author_id")}
