"""`reparse_tags`: tweets stored by an older hashtag parser get the tags the current one reads."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.testing import API
from tweets import services
from tweets.models import TagUse, Tweet, TweetTag
from tweets.services import entities
from tweets.tests.factories import TweetFactory, follow, repost
from tweets.tests.test_hydrated_cache import by_id, page, primed

pytestmark = pytest.mark.django_db


def stored_as_before(tweet: Tweet, *names_ends: tuple[str, int]) -> None:
    """Make ``tweet`` look as the older parser stored it: its tags cut short."""
    tags = [{"name": name, "start": 0, "end": end} for name, end in names_ends]
    tweet.entities = {**tweet.entities, "tags": tags}
    Tweet.objects.filter(pk=tweet.pk).update(entities=tweet.entities)
    TweetTag.objects.filter(tweet=tweet).delete()
    TweetTag.objects.bulk_create(TweetTag(tweet=tweet, tag=name) for name, _ in names_ends)


def reparse(*args) -> str:
    out = []

    class Lines:
        write = out.append

    call_command("reparse_tags", *args, stdout=Lines(), verbosity=0)
    return "".join(out)


def tag_timeline(client, name: str) -> list[str]:
    return [tweet["id"] for tweet in client.get(f"{API}/tags/{name}/tweets").json()["results"]]


def test_reparse_stores_the_tags_the_current_parser_reads_and_keeps_mentions(api_client):
    UserFactory(username="minji")
    tweet = TweetFactory(text="#हिंदी @minji")
    fresh = TweetFactory(text="#서울 already right")
    mentions = tweet.entities["mentions"]
    stored_as_before(tweet, ("ह", 2))
    assert tag_timeline(api_client, "हिंदी") == []

    assert reparse() == "Re-tagged 1 tweets.\n"

    tweet.refresh_from_db()
    assert tweet.entities == {
        "mentions": mentions,
        "tags": [{"name": "हिंदी", "start": 0, "end": 6}],
    }
    assert set(TweetTag.objects.filter(tweet=tweet).values_list("tag", flat=True)) == {"हिंदी"}
    assert tag_timeline(api_client, "हिंदी") == [str(tweet.pk)]
    assert tag_timeline(api_client, "ह") == []
    fresh.refresh_from_db()
    assert [tag["name"] for tag in fresh.entities["tags"]] == ["서울"]
    assert reparse() == "Re-tagged 0 tweets.\n"


def test_a_kept_copy_of_a_re_tagged_tweet_is_not_served(auth_client):
    reader, author = UserFactory.create_batch(2)
    follow(reader, author)
    tweet = TweetFactory(author=author, text="#กำลังใจ")
    stored_as_before(tweet, ("ก", 2))
    client = auth_client(reader)
    assert [t["name"] for t in by_id(primed(client))[str(tweet.pk)]["tags"]] == ["ก"]

    reparse()

    assert [t["name"] for t in by_id(page(client))[str(tweet.pk)]["tags"]] == ["กําลังใจ"]


def test_a_dry_run_counts_and_changes_nothing():
    tweets = [TweetFactory(text=f"#กำลังใจ {n}") for n in range(3)]
    for tweet in tweets[:2]:
        stored_as_before(tweet, ("ก", 2))
    repost(UserFactory(), tweets[0])

    assert reparse("--dry-run", "--batch-size", "1") == "Would re-tag 2 tweets.\n"
    assert TweetTag.objects.filter(tag="ก").count() == 2
    assert reparse("--batch-size", "2") == "Re-tagged 2 tweets.\n"
    assert set(TweetTag.objects.values_list("tag", flat=True)) == {"กําลังใจ"}
    assert TweetTag.objects.count() == 3


def test_only_tags_used_within_the_trending_window_count_for_trending():
    recent, old = TweetFactory(text="#ทำ now"), TweetFactory(text="#ทำ then")
    Tweet.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    for tweet in (recent, old):
        stored_as_before(tweet, ("ท", 2))
    TagUse.objects.all().delete()

    reparse()

    assert list(TagUse.objects.values_list("tag", "author_id")) == [("ทํา", recent.author_id)]


def test_a_tag_the_parser_no_longer_reads_is_taken_off():
    tweet = TweetFactory(text="a note on #2024 and #seoul")
    stored_as_before(tweet, ("2024", 15), ("seoul", 26))

    reparse()

    tweet.refresh_from_db()
    assert [tag["name"] for tag in tweet.entities["tags"]] == ["seoul"]
    assert list(TweetTag.objects.values_list("tag", flat=True)) == ["seoul"]


def test_a_tweet_left_with_no_entities_stores_none():
    tweet = TweetFactory(text="#2024 was a year")
    stored_as_before(tweet, ("2024", 5))

    reparse()

    tweet.refresh_from_db()
    assert tweet.entities == {}
    assert not TweetTag.objects.exists()


@pytest.mark.parametrize("size", ["0", "1000001"])
def test_a_batch_size_out_of_range_is_refused(size):
    with pytest.raises(CommandError, match="--batch-size must be from 1"):
        call_command("reparse_tags", "--batch-size", size)


def test_a_tweet_edited_after_it_was_found_is_re_tagged_from_its_new_text(monkeypatch):
    """The tweets to change are read again under their locks: an edit between the scan and the
    write is what is parsed, never the text the scan saw."""
    tweet = TweetFactory(text="#हिंदी first")
    stored_as_before(tweet, ("ह", 2))
    restore = entities._tags_restore

    def edited_meanwhile(tweet_id):
        services.tweet_update(tweet=tweet, editor=tweet.author, text="#ทำ instead")
        stored_as_before(tweet, ("ท", 2))
        return restore(tweet_id)

    monkeypatch.setattr(entities, "_tags_restore", edited_meanwhile)
    assert reparse() == "Re-tagged 1 tweets.\n"

    tweet.refresh_from_db()
    assert [tag["name"] for tag in tweet.entities["tags"]] == ["ทํา"]
    assert list(TweetTag.objects.values_list("tag", flat=True)) == ["ทํา"]


def test_no_more_tags_are_kept_than_a_post_may_have():
    """Eleven Devanagari tags the old parser stored as one: the first ten are kept."""
    words = ["कि", "की", "कु", "कू", "के", "कै", "को", "कौ", "कं", "कः", "कृ"]
    tweet = TweetFactory(text="#कि")
    Tweet.objects.filter(pk=tweet.pk).update(text=" ".join(f"#{word}" for word in words))
    stored_as_before(tweet, ("क", 2))

    reparse()

    tweet.refresh_from_db()
    assert [tag["name"] for tag in tweet.entities["tags"]] == words[:10]
    assert TweetTag.objects.filter(tweet=tweet).count() == 10
