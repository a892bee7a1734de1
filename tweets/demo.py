"""Realistic demo data in bulk, for trying minitter out and for benchmarks.

Follower counts are skewed (a few accounts are followed by many, as on real networks), activity is
skewed too, texts are Korean and English, and some tweets are replies or get likes. Everything is
written with bulk inserts, counters are set to exactly what the rows say, and home timelines are
filled with set-based INSERT ... SELECT statements following the same rules as the live fan-out
(tweets of authors over TIMELINE_FANOUT_MAX_FOLLOWERS are left to read-time merging). The same
``seed`` gives the same accounts, follows, texts, replies and likes.
"""

import itertools
import random
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from core.ids import id_datetime, id_floor
from tweets.models import Broadcaster, Follow, Like, TimelineEntry, Tweet

User = get_user_model()

DEMO_PASSWORD = "minitter-demo-password"
WINDOW = timedelta(days=30)
BATCH = 5_000
TIMELINE_UNIQUE = "timeline_entry_once"

KOREAN_FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
KOREAN_GIVEN = ["민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "서준", "하윤"]
ENGLISH_FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery"]
ENGLISH_LAST = ["Kim", "Lee", "Park", "Smith", "Jones", "Brown", "Garcia", "Chen", "Wilson"]
KOREAN_WORDS = (
    "오늘 내일 커피 서울 날씨 정말 좋다 맛있는 점심 회의 퇴근 주말 영화 음악 고양이 강아지 "
    "산책 여행 사진 친구 가족 공부 운동 비 눈 바다 하늘 행복 피곤 새로운 시작 생각 노래"
).split()
ENGLISH_WORDS = (
    "today tomorrow coffee weather really great lunch meeting weekend movie music cat dog walk "
    "travel photo friends family study workout rain snow ocean sky happy tired new start idea "
    "code deploy ship launch reading book city night morning"
).split()


@dataclass
class DemoSummary:
    users: int
    follows: int
    tweets: int
    replies: int
    likes: int
    timeline_entries: int


def _skewed_weights(count: int, rng: random.Random, exponent: float = 1.1) -> list[float]:
    """Cumulative Zipf-like weights over a random ranking of ``count`` items."""
    ranks = list(range(count))
    rng.shuffle(ranks)
    cumulative, total = [], 0.0
    for rank in ranks:
        total += 1.0 / (rank + 1) ** exponent
        cumulative.append(total)
    return cumulative


def _display_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(KOREAN_FAMILY) + rng.choice(KOREAN_GIVEN)
    return f"{rng.choice(ENGLISH_FIRST)} {rng.choice(ENGLISH_LAST)}"


def _text(rng: random.Random) -> str:
    words = KOREAN_WORDS if rng.random() < 0.5 else ENGLISH_WORDS
    text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 24)))
    return text[: settings.TWEET_MAX_LENGTH]


def _batched(total: int, size: int = BATCH):
    for start in range(0, total, size):
        yield start, min(start + size, total)


def seed_demo(
    *,
    users: int,
    tweets: int,
    follows_per_user: int,
    seed: int = 0,
    prefix: str = "demo",
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
) -> DemoSummary:
    """Create demo accounts (``{prefix}_000001`` …, password ``DEMO_PASSWORD``), follows, tweets,
    replies, likes and timelines. Raises ``ValueError`` when the names are already taken."""
    if User.objects.filter(username__lower__startswith=f"{prefix}_".lower()).exists():
        raise ValueError(f"Accounts named {prefix}_… exist already; choose another prefix.")
    rng = random.Random(seed)
    now = timezone.now()
    window_start = now - WINDOW

    # Accounts. One password hash for all: hashing each would take minutes.
    password = make_password(DEMO_PASSWORD)
    user_ids: list[int] = []
    for start, end in _batched(users):
        created = User.objects.bulk_create(
            [
                User(
                    username=f"{prefix}_{n + 1:06d}",
                    email=f"{prefix}_{n + 1:06d}@demo.minitter.invalid",
                    password=password,
                    display_name=_display_name(rng),
                )
                for n in range(start, end)
            ]
        )
        user_ids += [user.pk for user in created]
        progress("accounts", end, users)

    # Follows: everyone follows K accounts picked with skewed popularity.
    popularity = _skewed_weights(users, rng)
    followers = Counter()
    following = Counter()
    pairs: list[tuple[int, int]] = []
    wanted = min(follows_per_user, users - 1)
    for index, follower in enumerate(user_ids):
        chosen: set[int] = set()
        while len(chosen) < wanted:
            for pick in rng.choices(range(users), cum_weights=popularity, k=wanted * 2):
                if pick != index and len(chosen) < wanted:
                    chosen.add(pick)
        for pick in sorted(chosen):
            pairs.append((follower, user_ids[pick]))
            followers[user_ids[pick]] += 1
        following[follower] = wanted
    for start, end in _batched(len(pairs), 20_000):
        Follow.objects.bulk_create(
            [Follow(follower_id=a, followee_id=b) for a, b in pairs[start:end]]
        )
        progress("follows", end, len(pairs))
    # Every follow predates every tweet, so timelines hold all fanned-out tweets of followees.
    follow_time = window_start - timedelta(days=1)
    Follow.objects.filter(follower_id__in=user_ids).update(created_at=follow_time)

    # Tweets at distinct milliseconds over the window; ids follow their times.
    activity = _skewed_weights(users, rng, exponent=0.8)
    window_ms = int(WINDOW.total_seconds() * 1000)
    offsets = sorted(rng.sample(range(window_ms), tweets))
    base_id = id_floor(window_start)
    threshold = settings.TIMELINE_FANOUT_MAX_FOLLOWERS
    tweets_by_author = Counter()
    reply_counts = Counter()
    recent: list[int] = []
    replies = likes = 0
    for start, end in _batched(tweets):
        batch, batch_likes = [], []
        for position in range(start, end):
            tweet_id = base_id + (offsets[position] << 22)
            author = user_ids[rng.choices(range(users), cum_weights=activity)[0]]
            parent = rng.choice(recent) if recent and rng.random() < 0.15 else None
            like_count = min(int(rng.paretovariate(2.0)) - 1, users - 1, 200)
            batch.append(
                Tweet(
                    id=tweet_id,
                    author_id=author,
                    text=_text(rng),
                    in_reply_to_id=parent,
                    created_at=id_datetime(tweet_id),
                    like_count=like_count,
                    fanned_out=followers[author] <= threshold,
                )
            )
            batch_likes += [
                Like(user_id=liker, tweet_id=tweet_id) for liker in rng.sample(user_ids, like_count)
            ]
            tweets_by_author[author] += 1
            if parent is not None:
                reply_counts[parent] += 1
                replies += 1
            recent.append(tweet_id)
            if len(recent) > 2_000:
                recent = recent[-1_000:]
        with transaction.atomic():
            Tweet.objects.bulk_create(batch)
            Like.objects.bulk_create(batch_likes, batch_size=10_000)
        likes += len(batch_likes)
        progress("tweets", end, tweets)

    # Counters, exactly as the rows say.
    parents = list(reply_counts.items())
    for start, end in _batched(len(parents), 2_000):
        Tweet.objects.bulk_update(
            [Tweet(id=pk, reply_count=count) for pk, count in parents[start:end]],
            ["reply_count"],
        )
    for start, end in _batched(users, 2_000):
        User.objects.bulk_update(
            [
                User(
                    pk=pk,
                    followers_count=followers[pk],
                    following_count=following[pk],
                    tweets_count=tweets_by_author[pk],
                )
                for pk in user_ids[start:end]
            ],
            ["followers_count", "following_count", "tweets_count"],
        )
    Broadcaster.objects.bulk_create(
        [
            Broadcaster(user_id=pk)
            for pk in user_ids
            if followers[pk] > threshold and tweets_by_author[pk]
        ],
        ignore_conflicts=True,
    )

    entries = _fill_timelines(base_id, progress)
    return DemoSummary(users, len(pairs), tweets, replies, likes, entries)


@contextmanager
def _unique_index_deferred(progress):
    """On PostgreSQL with an empty timeline table (a fresh database), drop the (owner, tweet)
    unique index during the bulk load and build it once at the end, which is far faster than
    maintaining it row by row. Anywhere else the index stays and nothing changes."""
    constraint = next(c for c in TimelineEntry._meta.constraints if c.name == TIMELINE_UNIQUE)
    deferred = connection.vendor == "postgresql" and not TimelineEntry.objects.exists()
    if deferred:
        with connection.schema_editor() as editor:
            # Deferred foreign-key checks still pending in this transaction would block ALTER.
            editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            editor.remove_constraint(TimelineEntry, constraint)
    try:
        yield
    finally:
        if deferred:
            progress("index", 0, 1)
            with connection.schema_editor() as editor:
                editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                editor.add_constraint(TimelineEntry, constraint)
            progress("index", 1, 1)


def _fill_timelines(first_id: int, progress) -> int:
    """Timelines for the demo tweets, one id range at a time: each author's own tweets, and every
    fanned-out tweet for each follower of its author. Entries that exist already (other tweets in
    the same time range, maintained live) are left alone."""
    entries, tweets, follows = (
        TimelineEntry._meta.db_table,
        Tweet._meta.db_table,
        Follow._meta.db_table,
    )
    bounds = list(
        Tweet.objects.filter(pk__gte=first_id).order_by("pk").values_list("pk", flat=True)[::BATCH]
    )
    last = Tweet.objects.filter(pk__gte=first_id).order_by("-pk").values_list("pk", flat=True)[:1]
    bounds.append(last[0] + 1 if last else first_id)
    total = 0
    with _unique_index_deferred(progress):
        for step, (low, high) in enumerate(itertools.pairwise(bounds), start=1):
            total += _fill_timeline_range(low, high, entries, tweets, follows)
            progress("timelines", step, len(bounds) - 1)
    return total


def _fill_timeline_range(low: int, high: int, entries: str, tweets: str, follows: str) -> int:
    """Timeline entries for the tweets with ids in [low, high); returns how many were added."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} (owner_id, tweet_id) "  # table names come from our models
            f"SELECT author_id, id FROM {tweets} WHERE id >= %s AND id < %s "
            "ON CONFLICT DO NOTHING",
            [low, high],
        )
        inserted = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {entries} (owner_id, tweet_id) "
            f"SELECT f.follower_id, t.id FROM {tweets} t "
            f"JOIN {follows} f ON f.followee_id = t.author_id "
            f"WHERE t.id >= %s AND t.id < %s AND t.fanned_out "
            "ON CONFLICT DO NOTHING",
            [low, high],
        )
        return inserted + cursor.rowcount
