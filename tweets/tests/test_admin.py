"""The admin pages for tweets, likes and follows work and stay cheap on big tables."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from core.testing.images import image_bytes
from media.selectors import storage_url
from media.services import media_create
from tweets import services
from tweets.models import Report, Tweet
from tweets.tests.factories import TweetFactory, follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelists_render_and_search(admin_client):
    author = UserFactory(username="findme")
    tweet = TweetFactory(author=author, text="admin visible text")
    reader = UserFactory()
    follow(reader, author)
    services.like_create(user=reader, tweet=tweet)

    for url, query in [
        ("/admin/tweets/tweet/", "findme"),
        ("/admin/tweets/tweet/", str(tweet.id)),
        ("/admin/tweets/like/", "findme"),
        ("/admin/tweets/follow/", "findme"),
    ]:
        response = admin_client.get(url, {"q": "" if "like" in url else query})
        assert response.status_code == 200, url
    page = admin_client.get("/admin/tweets/tweet/", {"q": "findme"}).content.decode()
    assert "admin visible text" in page
    assert admin_client.get(f"/admin/tweets/tweet/{tweet.id}/change/").status_code == 200


LISTS = [
    "/admin/tweets/tweet/",
    "/admin/tweets/report/",
    "/admin/tweets/like/",
    "/admin/accounts/user/",
    "/admin/media/mediafile/",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("term", ["²", "¹²", "9999999999999999999", "9" * 5000])
def test_changelist_searches_of_what_is_no_id_find_nothing(admin_client, url, term):
    response = admin_client.get(url, {"q": term})
    assert response.status_code == 200


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "lookup", ["__year", "__year__gte", "__year__lt", "__year__exact", "__iso_year"]
)
@pytest.mark.parametrize("year", ["99999", "0", "x"])
def test_changelist_date_filters_with_a_year_out_of_range_are_a_400(
    admin_client, url, lookup, year
):
    field = "date_joined" if url == "/admin/accounts/user/" else "created_at"
    response = admin_client.get(url, {f"{field}{lookup}": year})
    assert response.status_code == 400
    assert admin_client.get(url, {f"{field}{lookup}": "2026"}).status_code == 200


@pytest.mark.parametrize("selected", ["abc", "", "1.5", "0x10", "²", "99999999999999999999"])
def test_a_bulk_action_on_a_selection_that_is_no_id_is_a_400_and_changes_nothing(
    admin_client, selected
):
    tweet = TweetFactory()
    response = admin_client.post(
        "/admin/tweets/tweet/",
        {"action": "hide_tweets", "_selected_action": [str(tweet.pk), selected], "index": 0},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    tweet.refresh_from_db()
    assert not tweet.is_hidden


def test_tweet_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries
):
    for _ in range(30):
        TweetFactory()
    with django_assert_max_num_queries(8):
        assert admin_client.get("/admin/tweets/tweet/").status_code == 200


def test_tweet_change_page_shows_the_original_reposts_mentions_and_tags(admin_client):
    author = UserFactory(username="minji")
    mentioned = UserFactory(username="junho")
    tweet = services.tweet_create(author=author, text="hi @Junho #Django #커피 #django")
    repost, _ = services.repost_create(user=UserFactory(), tweet=tweet)

    page = admin_client.get(f"/admin/tweets/tweet/{tweet.pk}/change/").content.decode()
    assert f'<a href="/admin/accounts/user/{mentioned.pk}/change/">@junho</a>' in page
    assert "#django #커피" in page
    assert f'<a href="/admin/tweets/tweet/?repost_of__id__exact={tweet.pk}">1</a>' in page
    assert 'name="repost_of"' not in page

    page = admin_client.get(f"/admin/tweets/tweet/{repost.pk}/change/").content.decode()
    link = f'<a href="/admin/tweets/tweet/{tweet.pk}/change/">tweet {tweet.pk}</a>'
    assert f"{link} by @minji: hi @Junho" in page

    reposts = admin_client.get("/admin/tweets/tweet/", {"repost_of__id__exact": tweet.pk})
    assert list(reposts.context["cl"].result_list) == [repost]
    assert f"repost of {link}" in reposts.content.decode()


def test_tweet_change_page_shows_what_an_edited_tweet_said_before(admin_client):
    author = UserFactory()
    tweet = services.tweet_create(author=author, text="something <nasty>")
    page = admin_client.get(f"/admin/tweets/tweet/{tweet.pk}/change/").content.decode()
    assert ": something &lt;nasty&gt;</p>" not in page  # no earlier versions yet
    services.tweet_update(tweet=tweet, editor=author, text="all fine", sensitive=True)
    services.tweet_update(tweet=tweet, editor=author, text="all fine now")
    page = admin_client.get(f"/admin/tweets/tweet/{tweet.pk}/change/").content.decode()
    assert ": something &lt;nasty&gt;</p>" in page
    assert " (sensitive): all fine</p>" in page
    assert page.index("something &lt;nasty&gt;</p>") < page.index("all fine</p>")
    assert ": all fine now</p>" not in page  # the current text is the text field


def test_tweet_change_page_shows_pictures_an_edit_took_off(admin_client, _media_in_tmp_dir):
    author = UserFactory()
    picture = media_create(owner=author, upload=SimpleUploadedFile("p.png", image_bytes("PNG")))
    tweet = services.tweet_create(author=author, text="look", media_ids=[picture.pk])
    services.tweet_update(tweet=tweet, editor=author, text="gone", media_ids=[])
    page = admin_client.get(f"/admin/tweets/tweet/{tweet.pk}/change/").content.decode()
    assert f'<img src="{storage_url(picture.preview)}"' in page.split("Earlier versions")[1]


def test_a_report_about_a_tweet_edited_since_says_so(admin_client, django_assert_max_num_queries):
    author, reporter = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="something nasty")
    services.reports_file(reporter=reporter, reason=Report.Reason.ABUSE, tweets=[tweet])
    page = admin_client.get("/admin/tweets/report/").content.decode()
    assert "(edited since)" not in page
    services.tweet_update(tweet=tweet, editor=author, text="all fine")
    with django_assert_max_num_queries(12):
        page = admin_client.get("/admin/tweets/report/").content.decode()
    assert "something nasty</span> (edited since)" in page  # the words reported


def reported_words_shown(report: Report) -> str:
    report = Report.objects.select_related("tweet__repost_of__author").get(pk=report.pk)
    return str(admin.site._registry[Report].reported_words(report))


def test_an_edit_committed_after_the_report_read_the_words_is_since_whatever_its_time(db):
    """An edit takes its time before it commits: one in progress while a report is filed has
    an earlier ``edited_at`` than the report, whose words are those before it."""
    author = UserFactory()
    tweet = services.tweet_create(author=author, text="something nasty")
    [(report, _made)] = services.reports_file(
        reporter=UserFactory(), reason=Report.Reason.ABUSE, tweets=[tweet]
    )
    Tweet.objects.filter(pk=tweet.pk).update(
        text="all fine", edited_at=report.created_at - timedelta(seconds=1)
    )
    assert reported_words_shown(report).endswith("(edited since)")


def test_a_tweet_edited_before_it_was_reported_is_not_edited_since(db):
    author = UserFactory()
    tweet = services.tweet_create(author=author, text="first")
    services.tweet_update(tweet=tweet, editor=author, text="something nasty")
    repost, _made = services.repost_create(user=UserFactory(), tweet=tweet)
    reports = services.reports_file(
        reporter=UserFactory(), reason=Report.Reason.ABUSE, tweets=[tweet, repost]
    )
    for report, _made in reports:
        assert "something nasty" in reported_words_shown(report)
        assert "edited since" not in reported_words_shown(report)
    services.tweet_update(tweet=tweet, editor=author, text="all fine")
    for report, _made in reports:
        assert reported_words_shown(report).endswith("(edited since)")


def test_renaming_the_reposted_author_is_no_edit_of_a_repost_report(db):
    author, reposter = UserFactory(username="original"), UserFactory()
    repost, _made = services.repost_create(
        user=reposter, tweet=services.tweet_create(author=author, text="words")
    )
    services.reports_file(reporter=UserFactory(), reason=Report.Reason.SPAM, tweets=[repost])
    type(author).objects.filter(pk=author.pk).update(username="renamed")
    report = Report.objects.select_related("tweet__repost_of__author").get()
    shown = str(admin.site._registry[Report].reported_words(report))
    assert "@original: words" in shown and "edited since" not in shown


def test_a_report_of_a_deleted_tweet_is_found_by_the_tweets_id(admin_client):
    author = UserFactory(username="gone_words")
    tweet = services.tweet_create(author=author, text="nasty")
    kept = services.tweet_create(author=author, text="kept")
    services.reports_file(reporter=UserFactory(), reason=Report.Reason.ABUSE, tweets=[tweet, kept])
    services.tweet_delete(tweet=tweet, actor=author)
    page = admin_client.get("/admin/tweets/report/", {"q": str(tweet.pk)}).content.decode()
    assert "1 result" in page
    assert f"deleted tweet {tweet.pk} by @gone_words" in page


def test_a_report_of_a_repost_is_found_by_the_reposted_authors_name(admin_client):
    author = UserFactory(username="original_author")
    repost, _made = services.repost_create(
        user=UserFactory(), tweet=services.tweet_create(author=author, text="words")
    )
    services.reports_file(reporter=UserFactory(), reason=Report.Reason.SPAM, tweets=[repost])
    found = admin_client.get("/admin/tweets/report/", {"q": "Original_Author"})
    assert "1 result" in found.content.decode()


def test_a_report_of_a_repost_keeps_the_words_reposted(db):
    author, reposter, reporter = UserFactory(), UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text="original words")
    repost, _made = services.repost_create(user=reposter, tweet=tweet)
    [(report, _made)] = services.reports_file(
        reporter=reporter, reason=Report.Reason.SPAM, tweets=[repost]
    )
    assert report.tweet_author_id == reposter.pk
    assert report.tweet_text == f"repost of {tweet.pk} by @{author.username}: original words"


def test_tweet_changelist_with_reposts_takes_no_query_per_row(
    admin_client, django_assert_max_num_queries
):
    for _ in range(30):
        services.repost_create(user=UserFactory(), tweet=TweetFactory())
    with django_assert_max_num_queries(8):
        assert admin_client.get("/admin/tweets/tweet/").status_code == 200


def test_account_list_names_suspension_in_plain_words_and_filters_by_it(admin_client):
    active = UserFactory(username="still_here")
    suspended = UserFactory(username="gone_quiet")
    services.account_set_suspended(
        account=suspended, suspended=True, moderator=UserFactory(), reason="spam"
    )
    response = admin_client.get("/admin/accounts/user/")
    page = response.content.decode()
    assert "By suspension" in page and ">Suspended</a>" in page and ">Not suspended</a>" in page
    assert "is suspended" not in page.lower()
    assert 'class="column-suspended' in page

    only = admin_client.get("/admin/accounts/user/", {"suspended": "1"}).context["cl"]
    assert list(only.result_list) == [suspended]
    others = admin_client.get("/admin/accounts/user/", {"suspended": "0"}).context["cl"]
    assert active in others.result_list and suspended not in others.result_list
    change = admin_client.get(f"/admin/accounts/user/{suspended.pk}/change/").content.decode()
    assert "Suspended:" in change and "is suspended" not in change.lower()


def test_regular_user_cannot_reach_the_admin(client):
    client.force_login(UserFactory())
    response = client.get("/admin/tweets/tweet/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_tweet_list_uses_plain_words_and_shows_whole_text_on_hover(admin_client):
    long_text = "word " * 59 + "end"
    visible = TweetFactory(text=long_text)
    hidden = TweetFactory()
    services.tweet_set_hidden(tweet=hidden, hidden=True, moderator=None, reason="spam")

    response = admin_client.get("/admin/tweets/tweet/")
    page = response.content.decode()
    assert "<title>Select tweet to change | minitter admin</title>" in page
    assert "Hidden by a moderator" in page and "Reached followers&#x27; timelines" in page
    assert "fanned" not in page.lower()
    assert f'title="{long_text}"' in page
    assert "Created (UTC)" in page

    only_hidden = admin_client.get("/admin/tweets/tweet/", {"hidden": "1"}).context["cl"]
    assert list(only_hidden.result_list) == [hidden]
    only_visible = admin_client.get("/admin/tweets/tweet/", {"hidden": "0"}).context["cl"]
    assert list(only_visible.result_list) == [visible]


def test_moderation_log_shows_the_reason_beside_the_kind(admin_client):
    tweet = TweetFactory()
    services.tweet_set_hidden(tweet=tweet, hidden=True, moderator=None, reason="Links to a scam")
    page = admin_client.get("/admin/tweets/moderationaction/").content.decode()
    headers = [h for h in ("column-kind", "column-short_reason", "column-about") if h in page]
    assert headers == ["column-kind", "column-short_reason", "column-about"]
    assert page.index("column-kind") < page.index("column-short_reason")
    assert 'title="Links to a scam"' in page


def test_moderator_sees_the_blocks_an_account_received(client):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderators"))
    client.force_login(moderator)
    target = UserFactory(username="much_blocked")
    for blocker in UserFactory.create_batch(3):
        services.block_create(blocker=blocker, blocked=target)

    page = client.get(f"/admin/accounts/user/{target.pk}/change/").content.decode()
    assert "3 in total, 3 in the last 7 days" in page
    listed = client.get("/admin/tweets/block/", {"blocked__id__exact": target.pk})
    assert listed.status_code == 200
    assert listed.content.decode().count("much_blocked") >= 3
    assert client.get("/admin/tweets/block/", {"q": "much_blocked"}).status_code == 200
