"""Writes on tweets: post (with media, as a reply), edit, delete (a repost's too)."""

import re
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import active_account_q
from accounts.services import AccountUnusable
from core import stamps
from core.db.retries import deadlock_retried
from core.ids import id_datetime
from core.sql import key_share_lock, placeholders
from core.text import has_visible_text
from media.models import MediaFile
from media.services import (
    media_claim,
    media_delete,
    media_description_clean,
    media_ids_check,
)
from tweets.metrics import TWEETS
from tweets.models import (
    ModerationAction,
    Notification,
    Tweet,
    TweetEdit,
    TweetMedia,
    TweetMediaRemoved,
)
from tweets.search import search_document_write
from tweets.services.audit import moderation_record, reports_resolve
from tweets.services.blocks import block_check
from tweets.services.counters import recount_replies
from tweets.services.entities import entities_prepare, entities_store
from tweets.services.notifications import notification_add
from tweets.services.reposts import repost_delete
from tweets.services.timelines import timeline_fan_out, timeline_fans_out

User = get_user_model()


LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def tweet_language_clean(language: str) -> str:
    """A tweet's language as clients send it: an ISO 639 code in any letter case, alone or with
    a region (``en-US``, ``pt_BR``: the language is kept), or "" for none said. Anything else is
    a 422 on ``language``."""
    code = language.strip().lower().replace("_", "-").split("-", 1)[0]
    if language.strip() and not LANGUAGE_CODE.fullmatch(code):
        raise ValidationError({"language": ["Give an ISO 639 language code, such as en or ko."]})
    return code


def tweet_content_warning_clean(content_warning: str, *, text: str) -> str:
    """A content warning, trimmed ("" for none): with the tweet's (cleaned) text, at most
    TWEET_MAX_LENGTH code points, as Mastodon counts a spoiler text with its status."""
    content_warning = content_warning.strip()
    if not has_visible_text(content_warning):
        content_warning = ""  # only blank or zero-width characters: none
    limit = settings.TWEET_MAX_LENGTH
    if len(text) + len(content_warning) > limit:
        raise ValidationError(
            {
                "content_warning": [
                    f"With the text, at most {limit} characters "
                    f"(these have {len(text) + len(content_warning)})."
                ]
            }
        )
    return content_warning


def tweet_text_clean(text: str) -> str:
    """The one rule for tweet text: at most TWEET_MAX_LENGTH code points once trimmed; text that
    shows nothing (only zero-width or blank characters) is none, "" (``tweet_content_check``
    says whether a tweet may have none)."""
    text = text.strip()
    if not has_visible_text(text):
        text = ""
    limit = settings.TWEET_MAX_LENGTH
    if len(text) > limit:
        raise ValidationError(
            {"text": [f"A tweet has at most {limit} characters (this one has {len(text)})."]}
        )
    return text


def tweet_content_check(text: str, media: Sequence) -> None:
    """The one rule for what a tweet shows: text (``tweet_text_clean``'s), a picture, or both,
    as on Mastodon, where a status's text is optional with media."""
    if not text and not media:
        raise ValidationError({"text": ["A tweet needs text or a picture."]})


@deadlock_retried
@transaction.atomic
def tweet_create(
    *,
    author: User,
    text: str,
    in_reply_to: Tweet | None = None,
    media_ids: Sequence[int] = (),
    sensitive: bool = False,
    language: str = "",
    content_warning: str = "",
) -> Tweet:
    """Post a tweet (or a reply): text, up to four of the author's uploads, or both
    (``tweet_content_check``). Store its mentions and
    hashtags, make it searchable, and put it into the author's and their followers' timelines. A
    reply notifies the parent's author; replying is refused (403) while the two block each other.
    ``sensitive``: the author marks it so (clients show its pictures behind a warning), as a
    ``content_warning`` does (clients show it in place of the text until opened);
    ``language``: what it is written in (``tweet_language_clean``).
    """
    text = tweet_text_clean(text)
    tweet_content_check(text, media_ids)  # the ids: each is checked when claimed
    content_warning = tweet_content_warning_clean(content_warning, text=text)
    sensitive = sensitive or bool(content_warning)
    language = tweet_language_clean(language)
    parent = None
    if in_reply_to is not None:
        # Lock the parent (its row only, not its author's): a reply to a tweet being deleted
        # must fail, not dangle. Tweets are locked before uploads (as an edit claims them) and
        # accounts (see services.blocks).
        parent = (
            Tweet.objects.originals_visible_to(None)
            .select_for_update(of=("self",))
            .filter(pk=in_reply_to.pk)
            .first()
        )
        if parent is None:
            raise ValidationError({"in_reply_to": ["That tweet does not exist."]})
    media = media_claim(owner=author, media_ids=list(media_ids)) if media_ids else []
    replied_to = [parent.author_id] if parent is not None else []
    entities = entities_prepare(text, author=author, also_lock=replied_to)
    if parent is not None:
        # The author's row for update (its tweets are counted below), the other author's shared:
        # replies to a popular account's tweets do not queue on its row.
        block_check(actor=author, target_id=parent.author_id, shared=set(replied_to) - {author.pk})
        Tweet.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
        stamps.renew(Tweet, [parent.pk])

    tweet = Tweet(
        author=author,
        text=text,
        in_reply_to=in_reply_to,
        sensitive=sensitive,
        language=language,
        content_warning=content_warning,
    )
    tweet.created_at = id_datetime(tweet.pk)  # so that time filters on ids agree with it
    tweet.fanned_out = timeline_fans_out(author)
    tweet.entities = entities.json
    tweet.save(force_insert=True)
    entities_store(tweet=tweet, entities=entities, at=tweet.created_at, new=True)
    search_document_write(tweet=tweet, new=True)
    TweetMedia.objects.bulk_create(
        [TweetMedia(tweet=tweet, media=item, position=n) for n, item in enumerate(media)]
    )
    tweet._media_files = media  # for ``Tweet.media_files``: the answer shows them unread
    # An account deactivated or suspended while the post was on its way posts nothing, as it
    # follows and likes nothing (``block_check``): its row says so once this update holds it.
    counted = User.objects.filter(active_account_q(), pk=author.pk)
    if not counted.update(tweets_count=F("tweets_count") + 1):
        raise AccountUnusable
    stamps.renew(User, [author.pk])
    timeline_fan_out(tweet)
    if parent is not None:
        notification_add(
            kind=Notification.Kind.REPLY, actor=author, recipient_id=parent.author_id, tweet=tweet
        )
    transaction.on_commit(TWEETS.inc)
    return tweet


@deadlock_retried
@transaction.atomic
def tweet_update(
    *,
    tweet: Tweet,
    editor: User,
    text: str,
    sensitive: bool | None = None,
    language: str | None = None,
    media_ids: Sequence[int] | None = None,
    media_descriptions: Mapping[int, str] | None = None,
    content_warning: str | None = None,
) -> Tweet:
    """Edit a tweet (author only): its text, and where given its ``content_warning`` ("" takes
    it off), whether it is ``sensitive`` (always, with a content warning), its
    ``language``, its attachments (``media_ids``: the new list in order; uploads taken off are
    kept for the history, new ones are the editor's unattached uploads, as for a post) and their
    descriptions (``media_descriptions``, by id, of attachments it keeps or gets). Marks it
    edited, records the version in its history (``TweetEdit``; the first edit records the
    version it replaces too), stores its mentions and hashtags anew and searches the new text
    from now on. An edit that changes nothing leaves it as it is (no version). At most
    ``TWEET_EDITS_MAX`` edits a tweet (its history is served whole). ``Http404`` when it was
    deleted or hidden meanwhile (read under the tweet's lock, which a hide takes too),
    ``AccountUnusable`` when its author was deactivated or suspended (read under the author's
    row lock, which those take)."""
    if editor.pk != tweet.author_id:
        raise PermissionDenied("Only the author can edit a tweet.")
    if tweet.repost_of_id:
        raise ValidationError({"text": ["A repost has no text to edit."]})
    text = tweet_text_clean(text)
    language = None if language is None else tweet_language_clean(language)
    descriptions = {
        pk: media_description_clean(description, "media_descriptions")
        for pk, description in (media_descriptions or {}).items()
    }
    if len(descriptions) > settings.MEDIA_MAX_PER_TWEET:
        limit = settings.MEDIA_MAX_PER_TWEET
        raise ValidationError({"media_descriptions": [f"A tweet has at most {limit} media."]})
    # The tweet's row before the uploads and the accounts mentions lock (the one order, see
    # services.blocks); what the history records of the version replaced is read under it.
    before = (
        Tweet.objects.select_for_update(no_key=True)
        .filter(pk=tweet.pk)
        .values(
            "text",
            "content_warning",
            "sensitive",
            "language",
            "entities",
            "created_at",
            "is_hidden",
        )
        .first()
    )
    if before is None or before["is_hidden"]:
        raise Http404("That tweet does not exist.")
    attached_before = _attachments_of(tweet.pk)
    media_before = _media_versions(attached_before)
    attached = _attachments_change(tweet, editor, attached_before, media_ids)
    tweet_content_check(text, attached)
    unknown = [str(pk) for pk in descriptions if pk not in {media.pk for media in attached}]
    if unknown:
        raise ValidationError({"media_descriptions": [f"Not attached: {', '.join(unknown)}."]})
    described = False
    for media in attached:
        if media.pk in descriptions and descriptions[media.pk] != media.description:
            media.description = descriptions[media.pk]
            MediaFile.objects.filter(pk=media.pk).update(description=media.description)
            described = True
    # The accounts after the uploads, the author's row among them, shared: an account
    # deactivated or suspended while the edit waited edits nothing, as it posts nothing.
    entities = entities_prepare(text, author=editor, author_shared=True, author_checked=True)
    if content_warning is None:
        warning_given, content_warning = False, before["content_warning"]
    else:
        warning_given = True
    content_warning = tweet_content_warning_clean(content_warning, text=text)
    if sensitive is None:
        # A warning given, and no word about sensitive: sensitive with it, as on Mastodon (so
        # taking a warning off shows what it hid).
        sensitive = bool(content_warning) if warning_given else before["sensitive"]
    sensitive = sensitive or bool(content_warning)
    unchanged = (
        text == before["text"]
        and content_warning == before["content_warning"]
        and entities.json == before["entities"]
        and sensitive == before["sensitive"]
        and language in (None, before["language"])
        and attached == attached_before
        and not described
    )
    if unchanged:
        tweet._media_files = attached
        return tweet
    edits = TweetEdit.objects.filter(tweet_id=tweet.pk).count() - 1
    if edits >= settings.TWEET_EDITS_MAX:
        limit = settings.TWEET_EDITS_MAX
        raise ValidationError({"text": [f"A tweet can be edited at most {limit} times."]})
    tweet.text, tweet.entities, tweet.edited_at = text, entities.json, timezone.now()
    tweet.sensitive, tweet.content_warning = sensitive, content_warning
    tweet.language = before["language"] if language is None else language
    tweet._media_files = attached  # for ``Tweet.media_files``: the answer shows them unread
    Tweet.objects.filter(pk=tweet.pk).update(
        text=tweet.text,
        edited_at=tweet.edited_at,
        entities=tweet.entities,
        sensitive=tweet.sensitive,
        language=tweet.language,
        content_warning=tweet.content_warning,
    )
    if edits < 0:  # its first edit: the version it replaces is recorded too
        TweetEdit.objects.create(
            tweet_id=tweet.pk,
            text=before["text"],
            content_warning=before["content_warning"],
            sensitive=before["sensitive"],
            entities=before["entities"],
            media=media_before,
            created_at=before["created_at"],
        )
    TweetEdit.objects.create(
        tweet_id=tweet.pk,
        text=tweet.text,
        content_warning=tweet.content_warning,
        sensitive=tweet.sensitive,
        entities=tweet.entities,
        media=_media_versions(attached),
        created_at=tweet.edited_at,
    )
    stamps.renew(Tweet, [tweet.pk])
    entities_store(tweet=tweet, entities=entities, at=tweet.edited_at)
    search_document_write(tweet=tweet)
    return tweet


def _attachments_of(tweet_id: int) -> list[MediaFile]:
    rows = TweetMedia.objects.filter(tweet_id=tweet_id).select_related("media").order_by("position")
    return [row.media for row in rows]


def _attachments_change(
    tweet: Tweet, editor: User, attached: list[MediaFile], media_ids: Sequence[int] | None
) -> list[MediaFile]:
    """The tweet's attachments once ``media_ids`` (None: as they are) is applied: uploads left
    out are kept for the history (``TweetMediaRemoved``), those an earlier edit took off may come
    back, new ones are claimed as a post claims them; the order is written anew."""
    if media_ids is None or list(media_ids) == [media.pk for media in attached]:
        return attached
    media_ids = media_ids_check(media_ids)
    removed = TweetMediaRemoved.objects.filter(tweet_id=tweet.pk)
    earlier = {row.media_id: row.media for row in removed.select_related("media")}
    kept = {media.pk: media for media in [*attached, *earlier.values()] if media.pk in media_ids}
    claimed = media_claim(owner=editor, media_ids=[pk for pk in media_ids if pk not in kept])
    by_id = {**kept, **{media.pk: media for media in claimed}}
    TweetMedia.objects.filter(tweet_id=tweet.pk).delete()
    removed.filter(media_id__in=kept).delete()
    TweetMediaRemoved.objects.bulk_create(
        [
            TweetMediaRemoved(tweet_id=tweet.pk, media=media)
            for media in attached
            if media.pk not in kept
        ]
    )
    TweetMedia.objects.bulk_create(
        [
            TweetMedia(tweet_id=tweet.pk, media=by_id[pk], position=n)
            for n, pk in enumerate(media_ids)
        ]
    )
    return [by_id[pk] for pk in media_ids]


def _media_versions(attached: list[MediaFile]) -> list[dict]:
    return [{"id": media.pk, "description": media.description} for media in attached]


@deadlock_retried
@transaction.atomic
def tweet_delete(*, tweet: Tweet, actor: User, reason: str = "", moderated: bool = False) -> None:
    """Delete a tweet (its author or staff): its likes, reposts, timeline entries and media go with
    it; deleting a repost is unreposting. Staff deleting someone else's tweet (or a moderator's
    own, ``moderated``) is a moderation action, written to the audit log, which resolves the open
    reports about the tweet and its reposts.

    The tweet's row is locked first, so replies and likes that committed before the delete are
    seen and go with it, and later ones find the tweet gone. ``Http404`` when it already is."""
    if actor.pk != tweet.author_id and not actor.is_staff:
        raise PermissionDenied("Only the author or staff can delete a tweet.")
    # The tweet it answers or reposts first (ascending ids: older), the order a delete of that
    # one follows too when it reaches this one.
    related = [tweet.in_reply_to_id, tweet.repost_of_id, tweet.pk]
    locked = Tweet.objects.select_for_update().filter(pk__in=related)
    tweet = {row.pk: row for row in locked.order_by("pk")}.get(tweet.pk)
    if tweet is None:
        raise Http404("That tweet does not exist.")
    reason = reason or "Deleted by staff through the API."
    moderation = moderated or actor.pk != tweet.author_id
    if moderation:
        moderation_record(
            actor,
            ModerationAction.Kind.DELETE_TWEET,
            reason,
            tweet_id=tweet.pk,
            account_id=tweet.author_id,
        )
    if tweet.repost_of_id:
        repost_delete(user=tweet.author, tweet=tweet)
        return
    if moderation:
        about = Q(tweet_id=tweet.pk) | Q(tweet__repost_of_id=tweet.pk)
        reports_resolve(about, moderator=actor, reason=reason)
    removed = TweetMediaRemoved.objects.filter(tweet=tweet).values("media_id")
    attached = TweetMedia.objects.filter(tweet=tweet).values("media_id")
    media_delete(MediaFile.objects.filter(Q(pk__in=attached) | Q(pk__in=removed)))
    # Its replies show it no more (their in_reply_to is cleared, which sends no signal).
    stamps.renew(Tweet, tweet.replies.values_list("pk", flat=True))
    # Its replies' rows (in_reply_to cleared) and reposts go first, the author's row after: tweets
    # before accounts, the order a reply or an edit mentioning the author takes too.
    tweet.delete()
    if not tweet.is_hidden:
        User.objects.filter(pk=tweet.author_id, tweets_count__gt=0).update(
            tweets_count=F("tweets_count") - 1
        )
        stamps.renew(User, [tweet.author_id])
    recount_replies([tweet.in_reply_to_id])
    stamps.renew(Tweet, [tweet.in_reply_to_id])


def tweets_share_lock(tweet_ids: Sequence[int]) -> set[int]:
    """Hold these tweets as a row referring to them does (``FOR KEY SHARE``: none can be deleted
    until the transaction ends, edits and counters go on), in ascending ids, now rather than at
    commit; returns the ids of those still there. Call inside a transaction, before any account
    row it locks (the one order: tweets, then accounts)."""
    ids = sorted(set(tweet_ids))
    if not ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Tweet._meta.db_table} WHERE id IN ({placeholders(ids)}) "
            f"ORDER BY id{key_share_lock(connection)}",
            ids,
        )
        return {row[0] for row in cursor.fetchall()}
