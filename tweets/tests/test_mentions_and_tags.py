"""Mentions and hashtags: parsed on post and edit, stored with offsets, a tag's timeline and
trending tags."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services
from tweets.models import Mention, TagUse, Tweet, TweetTag, trending_since
from tweets.tasks import tag_uses_old_delete
from tweets.tests.factories import TweetFactory, repost

pytestmark = pytest.mark.django_db

# "I want" in Persian: a zero-width non-joiner between its two parts.
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"


def post(client, text):
    return client.post(f"{API}/tweets", {"text": text}, format="json")


def test_mentions_of_existing_accounts_in_any_case_with_offsets(auth_client, user):
    minji = UserFactory(username="Minji_Kim")
    UserFactory(username="gone_away", is_active=False)
    text = "@minji_kim 안녕! mail me@example.com, cc @ghost_user @GONE_AWAY @MINJI_KIM"
    response = post(auth_client(user), text)
    assert response.status_code == 201
    mentions = response.json()["mentions"]
    assert [(m["id"], m["username"], m["start"], m["end"]) for m in mentions] == [
        (str(minji.pk), "Minji_Kim", 0, 10),
        (str(minji.pk), "Minji_Kim", text.index("@MINJI_KIM"), len(text)),
    ]
    assert mentions[0]["url"].endswith(f"{API}/accounts/Minji_Kim")
    assert list(Mention.objects.values_list("account_id", flat=True)) == [minji.pk]


def test_hashtags_are_unicode_words_matched_in_any_case(auth_client, user):
    full_width_python = "".join(chr(ord(ch) + 0xFEE0) for ch in "PYTHON")
    text = (
        f"#Django와 #커피 #東京タワー #Café #cafe\u0301 #{full_width_python} \uff03日本 "
        "#1 page/#anchor a#b #_"
    )
    response = post(auth_client(user), text)
    assert response.status_code == 201
    tags = response.json()["tags"]
    names = [tag["name"] for tag in tags]
    assert names == ["django와", "커피", "東京タワー", "café", "café", "python", "日本"]
    assert [text[tag["start"] : tag["end"]] for tag in tags][:2] == ["#Django와", "#커피"]
    assert tags[1]["url"].endswith(f"{API}/tags/%EC%BB%A4%ED%94%BC/tweets")
    stored = TweetTag.objects.values_list("tag", flat=True)
    assert sorted(stored) == sorted(set(names))


def test_hashtags_take_the_combining_marks_of_every_script_and_their_pages_open(
    api_client, auth_client, user
):
    """Thai and Indic vowel signs are combining marks; Thai's sara am normalizes into one. Every
    stored name opens its timeline; what normalizes to something else than a name is no tag."""
    text = "#ทำ #กำลังใจ #हिंदी #ﷺ #a½ #2024"
    response = post(auth_client(user), text)
    assert response.status_code == 201
    names = [tag["name"] for tag in response.json()["tags"]]
    assert names == ["ทํา", "กําลังใจ", "हिंदी"]
    for name in names:
        timeline = api_client.get(f"{API}/tags/{name}/tweets")
        assert [tweet["id"] for tweet in timeline.json()["results"]] == [response.json()["id"]]


def test_an_edit_parses_the_text_again_and_keeps_what_stays(auth_client, user):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob_b")
    client = auth_client(user)
    tweet_id = post(client, "@alice #one").json()["id"]
    kept = Mention.objects.get(account=alice)

    response = client.patch(
        f"{API}/tweets/{tweet_id}", {"text": "@alice @bob_b #two"}, format="json"
    )
    assert response.status_code == 200
    assert [m["username"] for m in response.json()["mentions"]] == ["alice", "bob_b"]
    assert [t["name"] for t in response.json()["tags"]] == ["two"]
    assert Mention.objects.get(account=alice).pk == kept.pk
    assert set(Mention.objects.values_list("account_id", flat=True)) == {alice.pk, bob.pk}
    assert list(TweetTag.objects.values_list("tag", flat=True)) == ["two"]


def test_an_over_long_hashtag_or_too_many_are_refused_and_nothing_is_stored(auth_client, user):
    client = auth_client(user)
    response = post(client, "#" + "가" * 51)
    assert response.status_code == 400
    assert "at most 50 characters" in str(response.json())
    assert post(client, " ".join(f"#tag{n}x" for n in range(11))).status_code == 400
    assert post(client, "#" + "a" * 50).status_code == 201
    tweet = Tweet.objects.get()
    response = client.patch(f"{API}/tweets/{tweet.id}", {"text": "#" + "a" * 51}, format="json")
    assert response.status_code == 400
    assert TweetTag.objects.get().tag == "a" * 50


def test_tag_timeline_is_newest_first_in_any_case_and_pages(api_client, auth_client, user):
    tagged = [TweetFactory(text=f"#Django number {n}") for n in range(5)]
    TweetFactory(text="#flask only")
    hidden = TweetFactory(text="#django hidden")
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    repost(user, tagged[0])

    seen, url = [], f"{API}/tags/DJANGO/tweets?limit=2"
    while url:
        page = api_client.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert seen == [str(t.id) for t in reversed(tagged)]
    assert len(api_client.get(f"{API}/tags/%23django/tweets").json()["results"]) == 5


def test_tag_timeline_refuses_what_cannot_be_a_tag(api_client):
    assert api_client.get(f"{API}/tags/{'a' * 51}/tweets").status_code == 400
    assert api_client.get(f"{API}/tags/no-dash/tweets").status_code == 400
    assert api_client.get(f"{API}/tags/123/tweets").status_code == 400
    assert api_client.get(f"{API}/tags/unused/tweets").json()["results"] == []


def test_trending_counts_distinct_accounts_over_the_last_day(api_client):
    spammer = UserFactory()
    for n in range(5):
        TweetFactory(author=spammer, text=f"#spam {n}")
    for author in UserFactory.create_batch(3):
        TweetFactory(author=author, text="#커피 좋아")
    for author in UserFactory.create_batch(2):
        TweetFactory(author=author, text="#Django")
    suspended = UserFactory.create_batch(3, is_suspended=True)
    for author in suspended:
        TagUse.objects.create(tag="banned", hour=timezone.now(), author=author)
    for author in UserFactory.create_batch(4):
        TagUse.objects.create(tag="old", hour=timezone.now() - timedelta(hours=26), author=author)

    response = api_client.get(f"{API}/tags/trending")
    assert response.status_code == 200
    trending = response.json()
    assert [(t["name"], t["accounts"]) for t in trending] == [
        ("커피", 3),
        ("django", 2),
        ("spam", 1),
    ]
    assert trending[0]["url"].endswith(f"{API}/tags/%EC%BB%A4%ED%94%BC/tweets")
    assert len(api_client.get(f"{API}/tags/trending", {"limit": 1}).json()) == 1
    assert api_client.get(f"{API}/tags/trending", {"limit": 0}).status_code == 400


def test_tag_uses_too_old_to_trend_are_purged_and_trending_is_unchanged(api_client):
    """The hourly purge keeps the table to the hours trending reads: older uses go, in batches,
    and the trending answer is the same before and after."""
    now = timezone.now()
    authors = UserFactory.create_batch(3)
    for author in authors:
        TweetFactory(author=author, text="#fresh")
        for hours in (25, 26, 24 * 30):
            TagUse.objects.create(tag="stale", hour=now - timedelta(hours=hours), author=author)
    first_counted = trending_since()
    TagUse.objects.create(tag="edge", hour=first_counted, author=authors[0])
    TagUse.objects.create(tag="past", hour=first_counted - timedelta(hours=1), author=authors[0])
    before = api_client.get(f"{API}/tags/trending").json()

    assert ("edge", 1) in [(tag["name"], tag["accounts"]) for tag in before]
    assert tag_uses_old_delete.delay().get() == 10
    assert set(TagUse.objects.values_list("tag", flat=True)) == {"fresh", "edge"}
    assert api_client.get(f"{API}/tags/trending").json() == before
    assert services.tag_uses_purge(batch_size=2) == 0


def test_tag_uses_are_purged_in_batches():
    author = UserFactory()
    old = timezone.now() - timedelta(days=3)
    TagUse.objects.bulk_create([TagUse(tag=f"t{n}", hour=old, author=author) for n in range(5)])
    assert services.tag_uses_purge(batch_size=2) == 5
    assert not TagUse.objects.exists()


def test_mentions_and_tags_are_stored_not_parsed_on_read(api_client):
    UserFactory(username="someone")
    tweet = TweetFactory(text="@someone #stored")
    Tweet.objects.filter(pk=tweet.pk).update(text="edited behind the service's back")
    body = api_client.get(f"{API}/tweets/{tweet.id}").json()
    assert [m["username"] for m in body["mentions"]] == ["someone"]
    assert [t["name"] for t in body["tags"]] == ["stored"]


def test_deleting_a_tweet_removes_its_mentions_and_tags():
    UserFactory(username="someone")
    tweet = TweetFactory(text="@someone #gone")
    services.tweet_delete(tweet=tweet, actor=tweet.author)
    assert not Mention.objects.exists()
    assert not TweetTag.objects.exists()


def test_hashtags_keep_the_middle_dots_and_joiners_words_are_written_with(
    api_client, auth_client, user
):
    """Persian's zero-width non-joiner, Sinhala's zero-width joiner, the Catalan and Japanese
    middle dots (half-width too) join a hashtag's characters; first or last they end it."""
    text = f"#{PERSIAN} #ශ්\u200dරී #l·l #ラブ・ライブ #ﾗﾌﾞ･ﾗｲﾌﾞ #seoul· #·busan #a\u200c"
    response = post(auth_client(user), text)
    assert response.status_code == 201
    names = [tag["name"] for tag in response.json()["tags"]]
    assert names == [
        PERSIAN,
        "ශ්\u200dරී",
        "l·l",
        "ラブ・ライブ",
        "ラブ・ライブ",
        "seoul",
        "a",
    ]
    for name in set(names):
        timeline = api_client.get(f"{API}/tags/{name}/tweets")
        assert [tweet["id"] for tweet in timeline.json()["results"]] == [response.json()["id"]]


def test_a_number_sign_or_at_sign_inside_a_link_is_neither_a_hashtag_nor_a_mention(
    auth_client, user
):
    UserFactory(username="bobby")
    text = (
        "see https://en.wikipedia.org/wiki/Foo_(bar)#History https://x.example/?q=#frag&u=@bobby "
        "https://x.example/a-#b #real"
    )
    response = post(auth_client(user), text)
    assert response.status_code == 201
    assert [tag["name"] for tag in response.json()["tags"]] == ["real"]
    assert response.json()["mentions"] == []
    assert not Mention.objects.exists()
    assert list(TweetTag.objects.values_list("tag", flat=True)) == ["real"]
