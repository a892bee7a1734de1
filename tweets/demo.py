"""Realistic demo data in bulk, for trying minitter out and for benchmarks.

Follower counts are skewed (a few accounts are followed by many, as on real networks), activity is
skewed too, texts are mostly Korean (sentences with particles and verb endings, common and rare
words), some English, Japanese and Chinese; some carry hashtags (Korean, Latin, Japanese, popular
ones more often) or mention other demo accounts, some tweets are replies, get likes or are reposted
(popular ones more often, by some of the accounts that liked them). Every follow, like, repost,
reply and mention notifies as it would live (nobody is told of acting on their own things), and
mentions and tags are read from the final text by the live parser (``entities_parse``). Everything
is written with bulk inserts, counters are set to exactly what the rows say, and home timelines
are filled with set-based INSERT ... SELECT statements following the same rules as the live
fan-out, reposts included (tweets and reposts of authors over TIMELINE_FANOUT_MAX_FOLLOWERS are
left to read-time merging). The same ``seed`` gives the same data.
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

from accounts.models import AccountSearchDocument
from core import stamps
from core.ids import TIME_SHIFT, id_datetime, id_floor
from core.search import search_document
from tweets.models import (
    Broadcaster,
    Follow,
    Like,
    Mention,
    Notification,
    TagUse,
    TimelineEntry,
    Tweet,
    TweetSearchDocument,
    TweetTag,
)
from tweets.services.entities import Entities, entities_parse, mention_recipients

User = get_user_model()

DEMO_PASSWORD = "minitter-demo-password"
WINDOW = timedelta(days=30)
BATCH = 5_000
TIMELINE_UNIQUE = "timeline_entry_once"
MAX_RUNNING = (1 << TIME_SHIFT) - 1
NO_ENTITIES = Entities()

KOREAN_FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
KOREAN_GIVEN = ["민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "서준", "하윤"]
ENGLISH_FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery"]
ENGLISH_LAST = ["Kim", "Lee", "Park", "Smith", "Jones", "Brown", "Garcia", "Chen", "Wilson"]
# Korean sentences: nouns (most common first, picked with Zipf-like weights, so some words are
# everywhere and some rare) with particles, and verbs with their endings, as people write them.
KOREAN_NOUNS = (
    "오늘 커피 트윗 서울 날씨 친구 점심 회의 주말 영화 음악 고양이 강아지 산책 여행 사진 가족 공부 "
    "운동 바다 하늘 노래 생각 퇴근 지하철 버스 카페 회사 학교 저녁 아침 책 게임 드라마 부산 "
    "제주도 한강 벚꽃 단풍 눈 비 김치찌개 떡볶이 치킨 맥주 코딩 배포 서버 개발자 도서관 전시회 "
    "콘서트 야구 축구 라면 빵집 해돋이 등산 캠핑 뮤지컬"
).split()
KOREAN_PARTICLES = [("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("에서",), ("에",)]
KOREAN_OPENERS = (
    "오늘 어제 내일 지금 요즘 주말에 아침에 정말 너무 진짜 오랜만에 드디어 같이"
).split()
KOREAN_VERBS = (
    "좋다 좋아요 좋네요 좋았다 마셨다 마셨어요 먹었다 먹었어요 갔다 갔어요 봤다 봤어요 올렸다 "
    "올렸어요 했다 했어요 합니다 입니다 기대된다 피곤하다 행복하다 최고다 재밌다 재밌었어요 "
    "시작했다 끝났다 좋아합니다 찍었어요 들었다"
).split()
KOREAN_ENDINGS = ["", "", ".", "!", "~", " ㅋㅋ", " ㅎㅎ", " ㅠㅠ"]
ENGLISH_WORDS = (
    "today tomorrow coffee weather really great lunch meeting weekend movie music cat dog walk "
    "travel photo friends family study workout rain snow ocean sky happy tired new start idea "
    "code deploy ship launch reading book city night morning"
).split()
JAPANESE_PHRASES = (
    "今日は 東京で 友達と コーヒーを 飲みました 天気が いいです 週末は 映画を 見ました "
    "新しい カフェに 行った ラーメンが 美味しい 桜が きれい"
).split()
CHINESE_PHRASES = "今天 天气 很好 我们 去 北京 吃饭 喝咖啡 看电影 周末 学习 中文 朋友 上海".split()

# Hashtags by script, most used first; Latin ones in the letter cases people type them in.
TAGS = {
    "korean": (
        "일상 맛집 커피 여행 서울 주말 카페 고양이 강아지 운동 영화 음악 독서 개발자 벚꽃 "
        "오늘의요리 제주도 한강 야구 캠핑"
    ).split(),
    "latin": (
        "Django python coffee travel music django café photography Zürich España weekend "
        "DevOps crème_brûlée São_Paulo naïve Python"
    ).split(),
    "japanese": "東京 ラーメン 桜 カフェ 今日のご飯 写真好きな人と繋がりたい 猫 週末".split(),
}
# The scripts of the tags on a tweet in each language: mostly its own, some Latin.
TAG_SCRIPTS = {
    "korean": [("korean", 0.85), ("latin", 0.15)],
    "english": [("latin", 1.0)],
    "japanese": [("japanese", 0.8), ("latin", 0.2)],
    "chinese": [("latin", 1.0)],
}
TAGGED_SHARE = 0.18  # tweets with 1 to 3 hashtags
MENTION_SHARE = 0.08  # tweets (other than replies) that mention 1 or 2 accounts
REPLY_MENTION_SHARE = 0.5  # replies that start with "@" and the replied-to author
REPOST_SHARE = 0.12  # accounts that repost a tweet they liked: reposts are ~7% of tweets
# When likes and reposts come after the tweet: exponentially, on average this many seconds later.
LIKE_DELAY_SECONDS = 7200
REPOST_DELAY_SECONDS = 3 * 3600


def _zipf(words: list[str]) -> list[float]:
    return list(itertools.accumulate(1 / n for n in range(1, len(words) + 1)))


KOREAN_NOUN_WEIGHTS = _zipf(KOREAN_NOUNS)
TAG_WEIGHTS = {script: _zipf(tags) for script, tags in TAGS.items()}
# Shares of tweets by language: most users write Korean.
LANGUAGES = [("korean", 0.70), ("english", 0.22), ("japanese", 0.05), ("chinese", 0.03)]


@dataclass
class DemoSummary:
    users: int
    follows: int
    tweets: int
    replies: int
    likes: int
    timeline_entries: int
    notifications: int = 0
    reposts: int = 0
    mentions: int = 0
    tagged: int = 0


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


def _korean_noun(rng: random.Random) -> str:
    noun = rng.choices(KOREAN_NOUNS, cum_weights=KOREAN_NOUN_WEIGHTS)[0]
    forms = rng.choice(KOREAN_PARTICLES)
    if len(forms) == 1:
        return noun + forms[0]
    has_final_consonant = (ord(noun[-1]) - 0xAC00) % 28 != 0
    return noun + (forms[0] if has_final_consonant else forms[1])


def _korean(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(1, 4)):
        words = [rng.choice(KOREAN_OPENERS)] if rng.random() < 0.5 else []
        words += [_korean_noun(rng) for _ in range(rng.randint(1, 3))]
        words.append(rng.choice(KOREAN_VERBS))
        sentences.append(" ".join(words) + rng.choice(KOREAN_ENDINGS))
    return " ".join(sentences)


def _body(rng: random.Random, language: str) -> str:
    if language == "korean":
        return _korean(rng)
    if language == "japanese":
        return "".join(rng.choice(JAPANESE_PHRASES) for _ in range(rng.randint(2, 8))) + "。"
    if language == "chinese":
        return "".join(rng.choice(CHINESE_PHRASES) for _ in range(rng.randint(2, 8))) + "。"
    return " ".join(rng.choice(ENGLISH_WORDS) for _ in range(rng.randint(3, 24)))


def _hashtags(rng: random.Random, language: str) -> list[str]:
    if rng.random() >= TAGGED_SHARE:
        return []
    scripts = TAG_SCRIPTS[language]
    tags = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        script = rng.choices([name for name, _ in scripts], [share for _, share in scripts])[0]
        tags.append(rng.choices(TAGS[script], cum_weights=TAG_WEIGHTS[script])[0])
    return tags


def _text(rng: random.Random, *, leading: list[str], trailing: list[str]) -> str:
    """A tweet's text: ``@leading`` names, a sentence or a few, hashtags, ``@trailing`` names,
    within TWEET_MAX_LENGTH (the sentences are cut, never a name or a tag)."""
    language = rng.choices([name for name, _ in LANGUAGES], [share for _, share in LANGUAGES])[0]
    head = "".join(f"@{name} " for name in leading)
    tail = "".join(f" #{tag}" for tag in _hashtags(rng, language))
    tail += "".join(f" @{name}" for name in trailing)
    room = settings.TWEET_MAX_LENGTH - len(head) - len(tail)
    return head + _body(rng, language)[:room].rstrip() + tail


class _MomentIds:
    """Distinct, time-ordered ids for events at given moments: the millisecond in the high bits as
    every id has, a running number below it (never 0, which the demo tweets' ids have there)."""

    def __init__(self):
        self.count = 0

    def at(self, moment_id: int) -> int:
        self.count += 1
        return (moment_id >> TIME_SHIFT << TIME_SHIFT) | (1 + self.count % MAX_RUNNING)

    def notification(self, moment_id: int, **fields) -> Notification:
        notification_id = self.at(moment_id)
        return Notification(id=notification_id, created_at=id_datetime(notification_id), **fields)


def _later(rng: random.Random, moment_id: int, mean_seconds: float, now_id: int) -> int:
    """An id some time after ``moment_id`` (exponentially distributed), but not in the future."""
    delay_ms = int(rng.expovariate(1 / mean_seconds) * 1000)
    return min(moment_id + (delay_ms << TIME_SHIFT), now_id)


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
    replies, likes and timelines. Raises ``ValueError``, before writing anything, when the names
    are already taken or there are more tweets than the window has milliseconds."""
    if User.objects.filter(username__lower__startswith=f"{prefix}_".lower()).exists():
        raise ValueError(f"Accounts named {prefix}_… exist already; choose another prefix.")
    window_ms = int(WINDOW.total_seconds() * 1000)
    if tweets > window_ms:  # checked before anything is written
        raise ValueError(
            f"At most {window_ms:,} tweets: one a millisecond over the {WINDOW.days} days seeded."
        )
    rng = random.Random(seed)
    now = timezone.now()
    window_start = now - WINDOW

    # Accounts. One password hash for all: hashing each would take minutes.
    password = make_password(DEMO_PASSWORD)
    user_ids: list[int] = []
    usernames: list[str] = []
    accounts: dict[str, User] = {}  # by lower-cased username, for mentions
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
        AccountSearchDocument.objects.bulk_create(
            [
                AccountSearchDocument(user=u, document=search_document(u.display_name))
                for u in created
            ]
        )
        user_ids += [user.pk for user in created]
        usernames += [user.username for user in created]
        accounts.update((user.username.lower(), user) for user in created)
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
    # Every follow predates every tweet, so timelines hold all fanned-out tweets of followees.
    follow_time = window_start - timedelta(days=1)
    notification_ids = _MomentIds()
    notifications = 0
    for start, end in _batched(len(pairs), 20_000):
        with transaction.atomic():
            Follow.objects.bulk_create(
                [Follow(follower_id=a, followee_id=b) for a, b in pairs[start:end]]
            )
            told = [
                notification_ids.notification(
                    id_floor(follow_time), kind="follow", actor_id=a, recipient_id=b
                )
                for a, b in pairs[start:end]
            ]
            Notification.objects.bulk_create(told, ignore_conflicts=True)
        notifications += len(told)
        progress("follows", end, len(pairs))
    Follow.objects.filter(follower_id__in=user_ids).update(created_at=follow_time)

    # Tweets at distinct milliseconds over the window; ids follow their times. Reposts get ids of
    # their own at the moment of the repost (the same millisecond as a tweet at most, with a
    # nonzero running number below it, where tweet ids have 0).
    activity = _skewed_weights(users, rng, exponent=0.8)
    offsets = sorted(rng.sample(range(window_ms), tweets))
    base_id = id_floor(window_start)
    threshold = settings.TIMELINE_FANOUT_MAX_FOLLOWERS
    tweets_by_author = Counter()
    reposters = set()
    reply_counts = Counter()
    recent: list[int] = []
    author_of: dict[int, int] = {}
    now_id = id_floor(now)
    repost_ids = _MomentIds()
    counts = Counter()
    username_of = dict(zip(user_ids, usernames, strict=True))

    def mentionable(wanted: set[str]) -> dict:
        return {name: accounts[name] for name in wanted if name in accounts}

    for start, end in _batched(tweets):
        batch, batch_reposts, batch_likes, batch_told = [], [], [], []
        batch_mentions, batch_tags, batch_uses = [], [], set()
        for position in range(start, end):
            tweet_id = base_id + (offsets[position] << TIME_SHIFT)
            author = user_ids[rng.choices(range(users), cum_weights=activity)[0]]
            parent = rng.choice(recent) if recent and rng.random() < 0.15 else None
            like_count = min(int(rng.paretovariate(2.0)) - 1, users - 1, 200)
            replied_to = author_of[parent] if parent is not None else None

            # Replies often start with the replied-to author's name; other tweets now and then
            # mention someone, popular accounts more often.
            leading, trailing = [], []
            if replied_to is not None and rng.random() < REPLY_MENTION_SHARE:
                leading.append(username_of[replied_to])
            elif rng.random() < MENTION_SHARE:
                named = rng.choices(range(users), cum_weights=popularity, k=rng.choice((1, 1, 2)))
                (leading if rng.random() < 0.5 else trailing).extend(usernames[n] for n in named)
            text = _text(rng, leading=leading, trailing=trailing)
            entities = (
                entities_parse(text, accounts=mentionable)
                if "#" in text or "@" in text or "\uff03" in text
                else NO_ENTITIES
            )
            created_at = id_datetime(tweet_id)
            likers = rng.sample(user_ids, like_count)
            reposted_by = [liker for liker in likers if rng.random() < REPOST_SHARE]
            batch.append(
                Tweet(
                    id=tweet_id,
                    author_id=author,
                    text=text,
                    in_reply_to_id=parent,
                    created_at=created_at,
                    like_count=like_count,
                    repost_count=len(reposted_by),
                    entities=entities.json,
                    fanned_out=followers[author] <= threshold,
                )
            )
            batch_likes += [Like(user_id=liker, tweet_id=tweet_id) for liker in likers]
            # Likes come within hours of the tweet; nobody is told of their own.
            batch_told += [
                notification_ids.notification(
                    _later(rng, tweet_id, LIKE_DELAY_SECONDS, now_id),
                    kind="like",
                    actor_id=liker,
                    recipient_id=author,
                    tweet_id=tweet_id,
                )
                for liker in likers
                if liker != author
            ]
            # Some who liked it repost it too (the author may repost their own), a while later.
            for reposter in reposted_by:
                repost_id = repost_ids.at(_later(rng, tweet_id, REPOST_DELAY_SECONDS, now_id))
                batch_reposts.append(
                    Tweet(
                        id=repost_id,
                        author_id=reposter,
                        text="",
                        repost_of_id=tweet_id,
                        created_at=id_datetime(repost_id),
                        fanned_out=followers[reposter] <= threshold,
                    )
                )
                reposters.add(reposter)
                if reposter != author:
                    batch_told.append(
                        notification_ids.notification(
                            repost_id,
                            kind="repost",
                            actor_id=reposter,
                            recipient_id=author,
                            tweet_id=tweet_id,
                        )
                    )
            # Mentions and tags, stored and notified by the live rules.
            mentioned = {account.pk for account in entities.accounts}
            batch_mentions += [Mention(tweet_id=tweet_id, account_id=pk) for pk in mentioned]
            batch_told += [
                notification_ids.notification(
                    tweet_id, kind="mention", actor_id=author, recipient_id=pk, tweet_id=tweet_id
                )
                for pk in mention_recipients(mentioned, author_id=author, replied_to=replied_to)
            ]
            batch_tags += [TweetTag(tweet_id=tweet_id, tag=name) for name in entities.tags]
            hour = created_at.replace(minute=0, second=0, microsecond=0)
            batch_uses.update((name, hour, author) for name in entities.tags)
            counts["mentions"] += len(mentioned)
            counts["tagged"] += bool(entities.tags)
            counts["reposts"] += len(reposted_by)
            tweets_by_author[author] += 1
            if parent is not None:
                reply_counts[parent] += 1
                counts["replies"] += 1
                if replied_to != author:
                    batch_told.append(
                        notification_ids.notification(
                            tweet_id,
                            kind="reply",
                            actor_id=author,
                            recipient_id=replied_to,
                            tweet_id=tweet_id,
                        )
                    )
            recent.append(tweet_id)
            author_of[tweet_id] = author
            if len(recent) > 2_000:
                for old in recent[:-1_000]:
                    del author_of[old]
                recent = recent[-1_000:]
        with transaction.atomic():
            Tweet.objects.bulk_create(batch)
            Tweet.objects.bulk_create(batch_reposts)
            TweetSearchDocument.objects.bulk_create(
                [TweetSearchDocument(tweet=t, document=search_document(t.text)) for t in batch]
            )
            Like.objects.bulk_create(batch_likes, batch_size=10_000)
            Mention.objects.bulk_create(batch_mentions, batch_size=10_000)
            TweetTag.objects.bulk_create(batch_tags, batch_size=10_000)
            TagUse.objects.bulk_create(
                [TagUse(tag=tag, hour=hour, author_id=pk) for tag, hour, pk in sorted(batch_uses)],
                batch_size=10_000,
                ignore_conflicts=True,
            )
            Notification.objects.bulk_create(batch_told, batch_size=10_000, ignore_conflicts=True)
        counts["likes"] += len(batch_likes)
        notifications += len(batch_told)
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
            if followers[pk] > threshold and (tweets_by_author[pk] or pk in reposters)
        ],
        ignore_conflicts=True,
    )

    entries = _fill_timelines(base_id, progress)
    stamps.renew_all()  # the counts of accounts seeded before changed too
    return DemoSummary(
        users=users,
        follows=len(pairs),
        tweets=tweets,
        replies=counts["replies"],
        likes=counts["likes"],
        timeline_entries=entries,
        notifications=notifications,
        reposts=counts["reposts"],
        mentions=counts["mentions"],
        tagged=counts["tagged"],
    )


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
