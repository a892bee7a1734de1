"""Public tweet search and filters."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.testing import API, explain, on_postgresql
from tweets import search, selectors
from tweets.models import Tweet, TweetSearchDocument
from tweets.services import tweet_update
from tweets.tests.factories import TweetFactory

pytestmark = pytest.mark.django_db

URL = f"{API}/tweets"


def result_texts(api_client, **params):
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.json()
    return [t["text"] for t in response.json()["results"]]


def test_search_finds_words_in_english_and_korean(api_client):
    TweetFactory(text="Coffee in Seoul this morning")
    TweetFactory(text="오늘 서울 날씨 좋다")
    TweetFactory(text="Nothing to see")
    assert result_texts(api_client, search="coffee") == ["Coffee in Seoul this morning"]
    assert result_texts(api_client, search="서울") == ["오늘 서울 날씨 좋다"]


def test_filter_by_author_is_case_insensitive(api_client):
    alice = UserFactory(username="alice")
    TweetFactory(author=alice, text="by alice")
    TweetFactory(text="by someone else")
    assert result_texts(api_client, author="ALICE") == ["by alice"]


def test_unknown_author_is_400(api_client):
    response = api_client.get(URL, {"author": "nobody_here"})
    assert response.status_code == 400
    assert "author" in response.json()["fields"]


def test_since_and_until_bound_by_creation_time(api_client):
    old = TweetFactory(text="old")
    Tweet.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    middle = TweetFactory(text="middle")
    boundary = middle.created_at
    TweetFactory(text="new")

    assert result_texts(api_client, since=boundary.isoformat()) == ["new", "middle"]
    assert result_texts(api_client, until=boundary.isoformat()) == ["old"]


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"until": "2026-13-45"}])
def test_malformed_time_filter_is_400(api_client, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert set(params) <= set(response.json()["fields"])


def test_search_list_is_public_and_newest_first(api_client):
    tweets = [TweetFactory() for _ in range(3)]
    results = api_client.get(URL).json()["results"]
    assert [t["id"] for t in results] == [str(t.id) for t in reversed(tweets)]


postgresql_only = pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL text search")


def test_korean_word_is_found_inside_its_inflected_forms(api_client):
    for text in ["트윗을 올렸다", "새 트윗이 있어요", "이건 트윗입니다", "서울에서 만나요"]:
        TweetFactory(text=text)
    TweetFactory(text="트위터는 안 써요")
    assert result_texts(api_client, search="트윗") == [
        "이건 트윗입니다",
        "새 트윗이 있어요",
        "트윗을 올렸다",
    ]
    assert result_texts(api_client, search="서울") == ["서울에서 만나요"]
    assert result_texts(api_client, search="트윗입니다") == ["이건 트윗입니다"]


def test_japanese_and_chinese_are_found_by_substrings_of_two_or_more_characters(api_client):
    TweetFactory(text="東京タワーに行った")
    TweetFactory(text="我爱北京天安门")
    assert result_texts(api_client, search="タワー") == ["東京タワーに行った"]
    assert result_texts(api_client, search="東京") == ["東京タワーに行った"]
    assert result_texts(api_client, search="北京") == ["我爱北京天安门"]
    assert result_texts(api_client, search="天安门") == ["我爱北京天安门"]
    assert result_texts(api_client, search="京北") == []


def test_a_single_korean_character_is_found_anywhere_in_a_word(api_client):
    TweetFactory(text="첫눈이 왔다")
    TweetFactory(text="눈사람")
    TweetFactory(text="비가 와요")
    assert result_texts(api_client, search="눈") == ["눈사람", "첫눈이 왔다"]


FULL_WIDTH_CAT = "\uff23\uff41\uff54 in full width"


def test_latin_words_match_as_whole_words_in_any_case(api_client):
    TweetFactory(text="My CAT sleeps")
    TweetFactory(text="Concatenate the strings")
    TweetFactory(text=FULL_WIDTH_CAT)
    assert result_texts(api_client, search="cat") == [FULL_WIDTH_CAT, "My CAT sleeps"]
    assert result_texts(api_client, search="Cat") == [FULL_WIDTH_CAT, "My CAT sleeps"]


def test_mixed_korean_and_latin_text_is_found_by_either(api_client):
    TweetFactory(text="Django를 배우는 중")
    assert result_texts(api_client, search="django") == ["Django를 배우는 중"]
    assert result_texts(api_client, search="배우") == ["Django를 배우는 중"]


def test_every_word_of_the_search_must_match(api_client):
    TweetFactory(text="서울 날씨 좋다 coffee")
    TweetFactory(text="부산 날씨 좋다")
    TweetFactory(text="coffee in Seoul")
    assert result_texts(api_client, search="날씨 coffee") == ["서울 날씨 좋다 coffee"]
    assert result_texts(api_client, search="날씨 좋다") == [
        "부산 날씨 좋다",
        "서울 날씨 좋다 coffee",
    ]


@postgresql_only
def test_quoted_phrase_matches_its_words_in_order(api_client):
    TweetFactory(text="서울 날씨 정말 좋다")
    TweetFactory(text="날씨 서울 정말")
    TweetFactory(text="Ship on Friday and deploy on Monday")
    TweetFactory(text="deploy friday")
    assert result_texts(api_client, search='"서울 날씨"') == ["서울 날씨 정말 좋다"]
    assert result_texts(api_client, search='"deploy friday"') == ["deploy friday"]
    assert result_texts(api_client, search='"friday deploy"') == []
    assert result_texts(api_client, search='"날씨 정말" 서울') == ["서울 날씨 정말 좋다"]


@pytest.mark.parametrize("search", ["!!!", "😀🎉", "?! ...", '""'])
def test_punctuation_or_emoji_only_search_finds_nothing(api_client, search):
    TweetFactory(text="hello!!! 😀🎉")
    assert result_texts(api_client, search=search) == []


@pytest.mark.parametrize("search", ["", "   "])
def test_empty_search_is_no_filter(api_client, search):
    TweetFactory(text="one")
    TweetFactory(text="two")
    assert result_texts(api_client, search=search) == ["two", "one"]


def test_search_of_200_characters_is_accepted_and_201_is_400(api_client):
    TweetFactory(text="hello")
    assert result_texts(api_client, search="가" * 200) == []
    response = api_client.get(URL, {"search": "가" * 201})
    assert response.status_code == 400
    assert "search" in response.json()["fields"]


@pytest.mark.parametrize("search", ["\u3316" * 34, "\u3316" * 85])
def test_search_that_normalizes_into_too_many_words_is_400(api_client, search):
    # Each ㌖ normalizes to six katakana: 34 of them make 203 character pairs, past the limit,
    # each a condition of the query (SQLite gave up on about 500 and answered a 503).
    TweetFactory(text="hello")
    response = api_client.get(URL, {"search": search})
    assert response.status_code == 400
    assert response.json()["fields"]["search"][0]["code"] == "max_length"


def test_search_at_the_word_limit_after_normalization_is_accepted(api_client):
    TweetFactory(text="\u30ad\u30ed\u30e1\u30fc\u30c8\u30eb")  # ㌖ written out
    assert result_texts(api_client, search="\u3316" * 33) == []  # 197 pairs
    assert result_texts(api_client, search="\u3316") == ["\u30ad\u30ed\u30e1\u30fc\u30c8\u30eb"]


def test_search_with_a_nul_byte_is_400(api_client):
    response = api_client.get(URL, {"search": "hello\x00"})
    assert response.status_code == 400
    assert response.json()["fields"]["search"][0]["detail"] == "Null characters are not allowed."


def test_an_edited_tweet_is_found_by_its_new_text_only(api_client):
    tweet = TweetFactory(text="고양이 사진")
    tweet_update(tweet=tweet, editor=tweet.author, text="강아지 사진")
    assert result_texts(api_client, search="고양이") == []
    assert result_texts(api_client, search="강아지") == ["강아지 사진"]


def test_search_results_are_newest_first_and_cursor_paged(api_client):
    texts = [f"커피 {n}번째" for n in range(5)]
    for text in texts:
        TweetFactory(text=text)
    TweetFactory(text="차 한 잔")
    first = api_client.get(URL, {"search": "커피", "limit": 3}).json()
    second = api_client.get(first["next"]).json()
    seen = [t["text"] for t in first["results"] + second["results"]]
    assert seen == list(reversed(texts))
    assert second["next"] is None


def test_hidden_tweets_are_not_found(api_client):
    TweetFactory(text="비밀 이야기")
    Tweet.objects.update(is_hidden=True)
    assert result_texts(api_client, search="비밀") == []


def test_search_reindex_writes_missing_documents(api_client):
    TweetFactory(text="오래된 트윗입니다")
    TweetSearchDocument.objects.all().delete()
    assert result_texts(api_client, search="트윗") == []
    call_command("search_reindex", stdout=StringIO(), stderr=StringIO())
    assert result_texts(api_client, search="트윗") == ["오래된 트윗입니다"]


def test_search_page_query_count_does_not_grow_with_page_size(
    api_client, django_assert_max_num_queries
):
    for n in range(30):
        TweetFactory(text=f"검색 {n}")
    for limit in (1, 30):
        # The page, its pictures, and on PostgreSQL the probe that picks the plan.
        with django_assert_max_num_queries(3):
            response = api_client.get(URL, {"search": "검색", "limit": limit})
        assert len(response.json()["results"]) == limit


def test_common_and_rare_searches_find_the_same_tweets(api_client, monkeypatch):
    for n in range(4):
        TweetFactory(text=f"커피 {n}")
    TweetFactory(text="차 한 잔")
    rare = result_texts(api_client, search="커피")
    monkeypatch.setattr(search, "COMMON_MATCHES", 2)
    common = result_texts(api_client, search="커피")
    assert common == rare == ["커피 3", "커피 2", "커피 1", "커피 0"]


@postgresql_only
def test_search_goes_through_the_gin_index():
    TweetFactory(text="서울에서 커피")
    page = selectors.tweet_search(viewer=AnonymousUser(), text="서울 커피").order_by("-pk")[:21]
    plan = explain(page, enable_seqscan="off")
    assert "Bitmap Index Scan on tweet_search_document" in plan, plan
