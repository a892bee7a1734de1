"""Statuses (tweets): post, read, edit, delete, thread context, favourites, reblogs, bookmarks;
timelines (home, public, hashtag); media."""

import re
from operator import attrgetter

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from rest_framework.response import Response

from core.exceptions import fields_renamed
from core.fields import parse_id
from core.idempotency import idempotent
from mastodon_api import entities
from mastodon_api.pagination import paginate, queryset_fetch
from mastodon_api.views.base import (
    MastodonView,
    paged,
    param,
    param_bool,
    param_ids,
    param_list,
    param_text,
    path_id,
)
from media import services as media_services
from media.selectors import media_get_unattached
from tweets import selectors, services
from tweets.models import Tweet, TweetMedia

CONTEXT_MAX_ANCESTORS = 40
CONTEXT_MAX_DEPTH = 20
CONTEXT_MAX_DESCENDANTS = 200


def find_tweet(request, status_id, *, hydrated: bool = False) -> Tweet:
    """The original tweet behind a status id the caller may see (a reblog's id stands for its
    original, for replies, favourites, reblogs and threads), without joins; ``hydrated``, as
    ``selectors.tweet_get_original`` has it, for an answer that shows it."""
    find = selectors.tweet_get_original if hydrated else selectors.tweet_find_original
    tweet = find(tweet_id=path_id(status_id), viewer=request.user)
    if tweet is None:
        raise Http404
    return tweet


def status_response(request, tweet_id: int, *, source: bool = False) -> Response:
    """A tweet as the caller sees it now (fresh counters, media, whether they liked it)."""
    tweet = selectors.tweet_get(tweet_id=tweet_id, viewer=request.user)
    if tweet is None:
        raise Http404
    return hydrated_status_response(request, tweet, source=source)


def hydrated_status_response(request, tweet: Tweet, *, source: bool = False) -> Response:
    """A hydrated tweet the view holds (``selectors.tweet_get``'s), with the caller's flags read
    now: for a write whose service left the counts it changed in the tweet."""
    context = entities.StatusContext.for_tweets(request, [tweet])
    return Response(entities.status(tweet, context, source=source))


MEDIA_ATTRIBUTE_KEY = re.compile(r"media_attributes\[(\d*)\]\[(\w+)\]")


def param_media_attributes(data) -> dict[int, str]:
    """Descriptions by media id from an edit's ``media_attributes``: a JSON array of objects
    (``{"id": "1", "description": "…"}``), or form fields ``media_attributes[0][id]``,
    ``media_attributes[0][description]`` (or ``[]`` for every index, items in order). ``focus``
    and ``thumbnail`` are taken and left alone: minitter has neither."""
    if hasattr(data, "getlist"):  # a form
        items = _form_media_attributes(data)
    else:
        items = data.get("media_attributes") or []
    if isinstance(items, dict):  # Rails reads {"0": {…}, "1": {…}} as a list too
        items = list(items.values())
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationError({"media_attributes": ["Send a list of {id, description}."]})
    descriptions, seen = {}, set()
    for item in items:
        pk = parse_id(item.get("id"))
        description = item.get("description") or ""  # null: none, as the entity shows none
        if pk is None or not isinstance(description, str):
            raise ValidationError({"media_attributes": ["Each item has an id and a text."]})
        if pk in seen:
            raise ValidationError({"media_attributes": [f"The id {pk} is given twice."]})
        seen.add(pk)
        if "description" in item:
            descriptions[pk] = description
    return descriptions


def param_given(data, name: str) -> bool:
    """Whether the list parameter ``name`` is in ``data`` (``name``, ``name[]`` or numbered), with
    a value (a JSON ``null`` is not given)."""
    return any(
        (key == name or key.startswith(f"{name}[")) and data.get(key) is not None for key in data
    )


def _form_media_attributes(data) -> list[dict]:
    numbered: dict[str, dict] = {}
    unnumbered: dict[str, list] = {}
    for key in data:
        match = MEDIA_ATTRIBUTE_KEY.fullmatch(key)
        if match is None:
            if key.startswith("media_attributes"):
                raise ValidationError({"media_attributes": [f"Not an attribute: {key}."]})
            continue
        index, name = match.groups()
        values = data.getlist(key)
        if index:
            numbered.setdefault(index, {})[name] = values[-1]
        else:
            unnumbered[name] = values
    if numbered and unnumbered:
        raise ValidationError({"media_attributes": ["Number every item, or none."]})
    if unnumbered:
        counts = {len(values) for values in unnumbered.values()}
        if len(counts) != 1:
            raise ValidationError({"media_attributes": ["Give each item every attribute."]})
        names = list(unnumbered)
        return [
            dict(zip(names, values, strict=True))
            for values in zip(*unnumbered.values(), strict=True)
        ]
    return [numbered[index] for index in sorted(numbered, key=int)]


def _refuse_unsupported(data) -> None:
    """Options minitter cannot honour are refused rather than silently dropped: a post meant for
    followers only must not go out in public."""
    visibility = param(data, "visibility", "public") or "public"
    if visibility != "public":
        raise ValidationError({"visibility": ["Only public posts are supported on this server."]})
    poll = data.get("poll")
    if not (poll is None or poll == "" or poll is False) or any(
        key.startswith("poll[") for key in data
    ):
        raise ValidationError({"poll": ["Polls are not supported."]})
    if param(data, "scheduled_at"):
        raise ValidationError({"scheduled_at": ["Scheduled posts are not supported."]})


def _text_and_warning(data, *, warning_given: bool, pictured: bool) -> tuple[str, str | None]:
    """``status`` and ``spoiler_text`` as minitter takes them (the warning None when not given,
    for an edit): a warning sent with no text and no pictures is the text, as Mastodon posts it
    (its web client lets a warning alone be sent); with pictures it stays their warning."""
    text = param_text(data, "status")
    warning = param_text(data, "spoiler_text") if warning_given else None
    if not text.strip() and warning and warning.strip() and not pictured:
        return warning, ""
    return text, warning


class StatusesView(MastodonView):
    """Post a status. With an ``Idempotency-Key`` header, a retry gets the first answer again
    and posts nothing more."""

    scopes = {"POST": "write:statuses"}

    @idempotent
    def post(self, request):
        data = request.data
        _refuse_unsupported(data)
        parent = None
        if param(data, "in_reply_to_id"):
            parent = find_tweet(request, param(data, "in_reply_to_id"))
        media_ids = param_ids(data, "media_ids")
        text, warning = _text_and_warning(data, warning_given=True, pictured=bool(media_ids))
        with fields_renamed(
            text="status", in_reply_to="in_reply_to_id", content_warning="spoiler_text"
        ):
            tweet = services.tweet_create(
                author=request.user,
                text=text,
                in_reply_to=parent,
                media_ids=media_ids,
                sensitive=param_bool(data, "sensitive"),
                language=param_text(data, "language"),
                content_warning=warning,
            )
        return status_response(request, tweet.pk)


class StatusView(MastodonView):
    public = frozenset({"GET"})
    scopes = {"PUT": "write:statuses", "DELETE": "write:statuses"}

    def get(self, request, status_id):
        return status_response(request, path_id(status_id))

    def put(self, request, status_id):
        tweet = selectors.tweet_find(tweet_id=path_id(status_id), viewer=request.user)
        if tweet is None or tweet.repost_of_id:
            raise Http404
        data = request.data
        _refuse_unsupported(data)
        # ``media_ids`` is the status's new list of attachments. Unlike Mastodon, an edit without
        # it keeps them: a script editing the text alone must not take its pictures off.
        media_ids = param_ids(data, "media_ids") if param_given(data, "media_ids") else None
        # So is ``spoiler_text`` (and ``sensitive`` and ``language``): left as it is when not given
        # or null, where Mastodon takes an edit without it off.
        text, warning = _text_and_warning(
            data,
            warning_given=param(data, "spoiler_text") is not None,
            pictured=bool(media_ids),
        )
        with fields_renamed(
            text="status", media_descriptions="media_attributes", content_warning="spoiler_text"
        ):
            services.tweet_update(
                tweet=tweet,
                editor=request.user,
                text=text,
                sensitive=param_bool(data, "sensitive", default=None),
                language=param_text(data, "language") if param(data, "language") else None,
                media_ids=media_ids,
                media_descriptions=param_media_attributes(data),
                content_warning=warning,
            )
        return status_response(request, tweet.pk)

    def delete(self, request, status_id):
        tweet = selectors.tweet_get(tweet_id=path_id(status_id), viewer=request.user)
        if tweet is None:
            raise Http404
        # The deleted status with its source text, so that clients can "delete and redraft";
        # deleting a reblog is unreblogging.
        entity = entities.status(
            tweet, entities.StatusContext.for_tweets(request, [tweet]), source=True
        )
        services.tweet_delete(tweet=tweet, actor=request.user)
        return Response(entity)


class StatusSourceView(MastodonView):
    scopes = {"GET": "read:statuses"}

    def get(self, request, status_id):
        tweet = find_tweet(request, status_id)
        return Response(
            {"id": str(tweet.pk), "text": tweet.text, "spoiler_text": tweet.content_warning}
        )


class StatusHistoryView(MastodonView):
    """A status's versions (StatusEdit), oldest first, the current one last; one for a status
    never edited, as on Mastodon."""

    public = frozenset({"GET"})

    def get(self, request, status_id):
        tweet = find_tweet(request, status_id, hydrated=True)
        versions = selectors.tweet_versions(tweet=tweet)
        return Response(entities.status_edits(tweet, versions, request))


class StatusContextView(MastodonView):
    """Ancestors (oldest first) and descendants (in thread order) of a status."""

    public = frozenset({"GET"})

    def get(self, request, status_id):
        tweet = find_tweet(request, status_id)
        ancestor_ids, parent_id = [], tweet.in_reply_to_id
        while parent_id and len(ancestor_ids) < CONTEXT_MAX_ANCESTORS:
            ancestor_ids.append(parent_id)
            parent_id = Tweet.objects.filter(pk=parent_id).values_list("in_reply_to", flat=True)
            parent_id = parent_id.first()
        children: dict[int, list[int]] = {}
        frontier, total = [tweet.pk], 0
        for _depth in range(CONTEXT_MAX_DEPTH):
            replies = list(
                Tweet.objects.visible_to(request.user)
                .filter(in_reply_to__in=frontier)
                .order_by("id")
                .values_list("pk", "in_reply_to")[: CONTEXT_MAX_DESCENDANTS - total]
            )
            if not replies:
                break
            for pk, parent in replies:
                children.setdefault(parent, []).append(pk)
            total += len(replies)
            frontier = [pk for pk, _parent in replies]
        descendant_ids = []

        def walk(pk):
            for child in children.get(pk, ()):
                descendant_ids.append(child)
                walk(child)

        walk(tweet.pk)
        found = {
            found.pk: found
            for found in selectors.tweet_queryset(viewer=request.user).filter(
                pk__in=[*ancestor_ids, *descendant_ids]
            )
        }
        context = entities.StatusContext.for_tweets(request, found.values())

        def entities_of(ids):
            return [entities.status(found[pk], context) for pk in ids if pk in found]

        return Response(
            {
                "ancestors": entities_of(reversed(ancestor_ids)),
                "descendants": entities_of(descendant_ids),
            }
        )


class StatusActionView(MastodonView):
    """A ``POST`` that acts on a status (``act``) and answers the status as the caller now sees
    it (a reblog's id acts on its original). The status is read again after the act, unless
    ``counts_in_hand`` and the act changed something (returned True): its service then left
    every count it changed in the tweet it was given."""

    counts_in_hand = False

    def act(self, request, tweet) -> bool | None:
        raise NotImplementedError

    def post(self, request, status_id):
        tweet = find_tweet(request, status_id, hydrated=self.counts_in_hand)
        if self.act(request, tweet) and self.counts_in_hand:
            return hydrated_status_response(request, tweet)
        return status_response(request, tweet.pk)


class FavouriteView(StatusActionView):
    scopes = {"POST": "write:favourites"}
    counts_in_hand = True

    def act(self, request, tweet):
        return services.like_create(user=request.user, tweet=tweet)


class UnfavouriteView(StatusActionView):
    scopes = {"POST": "write:favourites"}
    counts_in_hand = True

    def act(self, request, tweet):
        return services.like_delete(user=request.user, tweet=tweet)


class ReblogView(MastodonView):
    """Reblog (repost): answers the reblog, a status whose ``reblog`` is the original."""

    scopes = {"POST": "write:statuses"}

    def post(self, request, status_id):
        tweet = find_tweet(request, status_id)
        try:
            repost, _created = services.repost_create(user=request.user, tweet=tweet)
        except Tweet.DoesNotExist:
            raise Http404 from None
        return status_response(request, repost.pk)


class UnreblogView(StatusActionView):
    """Take a reblog back: answers the original."""

    scopes = {"POST": "write:statuses"}

    def act(self, request, tweet):
        services.repost_delete(user=request.user, tweet=tweet)


class RebloggedByView(MastodonView):
    public = frozenset({"GET"})

    def get(self, request, status_id):
        reposts = selectors.tweet_reposts(tweet=find_tweet(request, status_id), viewer=request.user)
        page, link = paginate(request, queryset_fetch(reposts), default=40, maximum=80)
        return paged(entities.accounts([repost.author for repost in page], request), link)


class FavouritedByView(MastodonView):
    public = frozenset({"GET"})

    def get(self, request, status_id):
        likes = selectors.tweet_likes(tweet=find_tweet(request, status_id), viewer=request.user)
        page, link = paginate(request, queryset_fetch(likes), default=40, maximum=80)
        return paged(entities.accounts([like.user for like in page], request), link)


class BookmarkView(StatusActionView):
    """Bookmark a status (privately; idempotent): answers the status, ``bookmarked`` true."""

    scopes = {"POST": "write:bookmarks"}

    def act(self, request, tweet):
        services.bookmark_create(user=request.user, tweet=tweet)


class UnbookmarkView(StatusActionView):
    scopes = {"POST": "write:bookmarks"}

    def act(self, request, tweet):
        services.bookmark_delete(user=request.user, tweet=tweet)


class BookmarksView(MastodonView):
    """The caller's bookmarks, most recently bookmarked first."""

    scopes = {"GET": "read:bookmarks"}

    def get(self, request):
        bookmarks = selectors.bookmarks_of(user=request.user)
        page, link = paginate(request, queryset_fetch(bookmarks))
        return paged(entities.statuses([bookmark.tweet for bookmark in page], request), link)


class FavouritesView(MastodonView):
    """The caller's favourites, most recently liked first."""

    scopes = {"GET": "read:favourites"}

    def get(self, request):
        likes = selectors.likes_by_user(user=request.user, viewer=request.user)
        page, link = paginate(request, queryset_fetch(likes))
        return paged(entities.statuses([like.tweet for like in page], request), link)


# --- Timelines ------------------------------------------------------------------------------------
class HomeTimelineView(MastodonView):
    scopes = {"GET": "read:statuses"}

    def get(self, request):
        fetch = selectors.timeline_home_fetch(reader=request.user)
        page, link = paginate(request, fetch)
        return paged(entities.statuses(page, request, flags=fetch.flags_of(page)), link)


class PublicTimelineView(MastodonView):
    """Every visible tweet, newest first, without reblogs as on Mastodon (all of them are local;
    ``remote=true`` finds none)."""

    public = frozenset({"GET"})

    def get(self, request):
        params = request.query_params
        if param_bool(params, "remote"):
            return Response([])
        tweets = selectors.original_queryset(viewer=request.user)
        if param_bool(params, "only_media"):
            tweets = tweets.filter(Exists(TweetMedia.objects.filter(tweet=OuterRef("pk"))))
        page, link = paginate(request, queryset_fetch(tweets))
        return paged(entities.statuses(page, request), link)


class TagTimelineView(MastodonView):
    """Statuses with a hashtag (any letter case), newest first, without reblogs as on Mastodon.
    A name that cannot be a tag is a 422; combining tags (``any[]``, ``all[]``, ``none[]``) is
    refused rather than ignored."""

    public = frozenset({"GET"})

    def get(self, request, hashtag):
        params = request.query_params
        for name in ("any", "all", "none"):
            if param_list(params, name):
                raise ValidationError({name: ["Combining hashtags is not supported."]})
        tag = services.tag_normalize(hashtag)
        if param_bool(params, "remote"):
            return Response([])
        rows = selectors.tag_timeline(tag=tag, viewer=request.user)
        if param_bool(params, "only_media"):
            rows = rows.filter(Exists(TweetMedia.objects.filter(tweet=OuterRef("tweet_id"))))
        page, link = paginate(request, queryset_fetch(rows, "tweet_id"), key=attrgetter("tweet_id"))
        return paged(entities.statuses([row.tweet for row in page], request), link)


# --- Media ----------------------------------------------------------------------------------------
class MediaUploadView(MastodonView):
    """``POST /api/v2/media`` and ``/api/v1/media``: processed at once, so the URL is ready."""

    scopes = {"POST": "write:media"}
    write_throttle_scope = "upload"  # the project's stricter limits for image processing

    @idempotent
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Attach an image as `file`."]})
        media = media_services.media_create(
            owner=request.user,
            upload=upload,
            description=param_text(request.data, "description"),
        )
        return Response(entities.media_attachment(media, request))


class MediaView(MastodonView):
    """One of the caller's uploads that is not attached yet: read it, or change its description."""

    scopes = {"GET": "write:media", "PUT": "write:media"}

    def get_media(self, request, media_id):
        media = media_get_unattached(owner=request.user, media_id=path_id(media_id))
        if media is None:
            raise Http404
        return media

    def get(self, request, media_id):
        return Response(entities.media_attachment(self.get_media(request, media_id), request))

    def put(self, request, media_id):
        if "description" not in request.data:
            return self.get(request, media_id)
        media = media_services.media_describe(
            owner=request.user,
            media_id=path_id(media_id),
            description=param_text(request.data, "description"),
        )
        if media is None:
            raise Http404
        return Response(entities.media_attachment(media, request))
