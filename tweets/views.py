"""HTTP endpoints of the social layer: tweets, likes, reposts, profiles, follows, blocks, mutes,
the home timeline and notifications.

Reads are public (except the home timeline); writes need a logged-in user. Views validate input,
call a service or a selector, and serialize; the rules live in ``services`` and ``selectors``.
"""

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import account_find, account_get
from accounts.serializers import AccountSearchParamsSerializer, PublicAccountSerializer
from core import idempotency
from core.fields import parse_id
from tweets import selectors, services
from tweets.filters import TweetFilter
from tweets.models import Block, Mute, Notification, Tweet
from tweets.serializers import (
    MuteInputSerializer,
    MuteSerializer,
    NotificationMarkerInputSerializer,
    NotificationMarkerSerializer,
    NotificationSerializer,
    ProfileSerializer,
    RelationshipSerializer,
    ReportCreateInputSerializer,
    ReportSerializer,
    TrendingTagSerializer,
    TweetCreateInputSerializer,
    TweetSerializer,
    TweetUpdateInputSerializer,
    TweetVersionSerializer,
)

User = get_user_model()


def tweet_context(view: GenericAPIView, tweets: list, flags: dict | None = None) -> dict:
    """What ``TweetSerializer`` needs for these tweets: the viewer's likes, reposts and bookmarks,
    in one query unless read with the tweets (``flags``)."""
    if flags is None:
        flags = selectors.viewer_flags(user=view.request.user, tweets=tweets)
    return {**view.get_serializer_context(), "flags": flags}


def tweet_page_response(view: GenericAPIView, page: list, flags: dict | None = None) -> Response:
    """Serialize a page of tweets with the viewer's likes, reposts and bookmarks looked up in one
    query, unless read with the tweets (``flags``)."""
    context = tweet_context(view, page, flags)
    return view.get_paginated_response(TweetSerializer(page, many=True, context=context).data)


def account_page_response(view: GenericAPIView, accounts: list) -> Response:
    """Serialize a page of accounts (with absolute avatar URLs, like everywhere else)."""
    serializer = PublicAccountSerializer(accounts, many=True, context=view.get_serializer_context())
    return view.get_paginated_response(serializer.data)


def tweet_response(view: GenericAPIView, tweet_id: int, status_code=status.HTTP_200_OK) -> Response:
    """A tweet as the viewer sees it now (fresh counters, media, the viewer's flags)."""
    tweet = selectors.tweet_get(tweet_id=tweet_id, viewer=view.request.user) if tweet_id else None
    if tweet is None:
        raise Http404
    return hydrated_tweet_response(view, tweet, status_code)


def hydrated_tweet_response(
    view: GenericAPIView, tweet, status_code=status.HTTP_200_OK
) -> Response:
    """A hydrated tweet the view holds (``selectors.tweet_get``'s), with the viewer's flags read
    now: for a write whose service left the counts it changed in the tweet."""
    flags = selectors.viewer_flags(user=view.request.user, tweets=[tweet])
    context = {**view.get_serializer_context(), "flags": flags}
    return Response(TweetSerializer(tweet, context=context).data, status=status_code)


def tweet_created_response(view: GenericAPIView, tweet) -> Response:
    """A tweet the viewer has just posted (``tweet_create``'s, with its author and media), as
    ``tweet_response`` would show it, without reading it back: no one has liked, reposted,
    bookmarked or answered it yet."""
    context = {**view.get_serializer_context(), "flags": {}}
    return Response(TweetSerializer(tweet, context=context).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tweets"])
class TweetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TweetSerializer
    filterset_class = TweetFilter
    lookup_value_regex = "[^/]+"
    read_actions = {"list", "retrieve", "replies", "likes", "reposts", "history"}
    # Actions on a repost's id act on its original (as reposting a repost reposts the original).
    original_actions = {"replies", "likes", "like", "reposts", "repost", "bookmark"}

    def get_permissions(self):
        return [AllowAny()] if self.action in self.read_actions else [IsAuthenticated()]

    def get_serializer_class(self):
        # What the browsable API draws its HTML forms from: posting and replying, editing.
        if self.action == "create":
            return TweetCreateInputSerializer
        if self.action == "partial_update":
            return TweetUpdateInputSerializer
        return TweetSerializer

    def get_queryset(self):
        return selectors.original_queryset(viewer=self.request.user)

    def get_object(self):
        if self.action in self.original_actions:
            return self.find(selectors.tweet_find_original)
        return self.find(selectors.tweet_find)

    def find(self, selector):
        """The tweet of the URL's id as ``selector`` finds it for the viewer, else a 404."""
        tweet_id = parse_id(self.kwargs["pk"])
        tweet = selector(tweet_id=tweet_id, viewer=self.request.user) if tweet_id else None
        if tweet is None:
            raise Http404
        return tweet

    def list(self, request, *args, **kwargs):
        """Search and filter all tweets, newest first."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return tweet_page_response(self, page)

    def retrieve(self, request, *args, **kwargs):
        return tweet_response(self, parse_id(self.kwargs["pk"]))

    @extend_schema(
        request=TweetCreateInputSerializer,
        responses={201: TweetSerializer},
    )
    @idempotency.idempotent
    def create(self, request):
        """Post a tweet, or a reply with `in_reply_to` (a repost's id answers its original)."""
        data = TweetCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = None
        if data.validated_data.get("in_reply_to") is not None:
            parent = selectors.tweet_find_original(
                tweet_id=data.validated_data["in_reply_to"], viewer=request.user
            )
            if parent is None:
                raise ValidationError(
                    {"in_reply_to": ["That tweet does not exist."]}, code="does_not_exist"
                )
        tweet = services.tweet_create(
            author=request.user,
            text=data.validated_data["text"],
            in_reply_to=parent,
            media_ids=data.validated_data["media_ids"],
            sensitive=data.validated_data["sensitive"],
            language=data.validated_data["language"],
            content_warning=data.validated_data["content_warning"],
        )
        return tweet_created_response(self, tweet)

    @extend_schema(request=TweetUpdateInputSerializer, responses={200: TweetSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Edit a tweet (author only): its text, and where given `content_warning`, `sensitive`,
        `language`, its attachments (`media_ids`) and their descriptions (`media_descriptions`);
        sets `edited_at` and records the new version in its `history`."""
        tweet = self.get_object()
        data = TweetUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.tweet_update(tweet=tweet, editor=request.user, **data.validated_data)
        return tweet_response(self, tweet.pk)

    def perform_destroy(self, instance):
        services.tweet_delete(tweet=instance, actor=self.request.user)

    @extend_schema(responses={200: TweetSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"])
    def replies(self, request, pk=None):
        """Replies to a tweet, oldest first."""
        self.pagination_key = "id"
        page = self.paginate_queryset(
            selectors.tweet_replies(tweet=self.get_object(), viewer=request.user)
        )
        return tweet_page_response(self, page)

    @extend_schema(responses={200: TweetVersionSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """A tweet's versions, oldest first, the current one last (one for a tweet never
        edited); a repost's id gives its original's."""
        tweet = self.find(selectors.tweet_get_original)
        versions = selectors.tweet_versions(tweet=tweet)
        context = self.get_serializer_context()
        return Response(TweetVersionSerializer(versions, many=True, context=context).data)

    @extend_schema(responses={200: PublicAccountSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"])
    def likes(self, request, pk=None):
        """Accounts that liked a tweet, most recent like first."""
        page = self.paginate_queryset(
            selectors.tweet_likes(tweet=self.get_object(), viewer=request.user)
        )
        accounts = [like.user for like in page]
        return account_page_response(self, accounts)

    @extend_schema(methods=["POST"], request=None, responses={200: TweetSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def like(self, request, pk=None):
        """Like (POST) or unlike (DELETE) a tweet; both are idempotent."""
        if request.method == "DELETE":
            services.like_delete(user=request.user, tweet=self.get_object())
            return Response(status=status.HTTP_204_NO_CONTENT)
        # Hydrated now: a new like leaves its count in it, and the answer reads nothing again.
        tweet = self.find(selectors.tweet_get_original)
        if services.like_create(user=request.user, tweet=tweet):
            return hydrated_tweet_response(self, tweet)
        return tweet_response(self, tweet.pk)  # liked already, perhaps a moment ago: as it is now

    @extend_schema(responses={200: PublicAccountSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"])
    def reposts(self, request, pk=None):
        """Accounts that reposted a tweet, most recent repost first."""
        page = self.paginate_queryset(
            selectors.tweet_reposts(tweet=self.get_object(), viewer=request.user)
        )
        accounts = [repost.author for repost in page]
        return account_page_response(self, accounts)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={200: TweetSerializer, 201: TweetSerializer},
        description="Repost a tweet (your own too; a repost's id reposts its original). Answers "
        "with the repost, whose `repost_of` is the original: 201 when it was made now, 200 when "
        "you had reposted it already.",
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def repost(self, request, pk=None):
        """Repost (POST) or unrepost (DELETE) a tweet; both are idempotent."""
        tweet = self.get_object()
        if request.method == "DELETE":
            services.repost_delete(user=request.user, tweet=tweet)
            return Response(status=status.HTTP_204_NO_CONTENT)
        try:
            repost, created = services.repost_create(user=request.user, tweet=tweet)
        except Tweet.DoesNotExist:
            raise Http404 from None
        return tweet_response(
            self, repost.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(methods=["POST"], request=None, responses={200: TweetSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def bookmark(self, request, pk=None):
        """Bookmark (POST) or unbookmark (DELETE) a tweet, privately; both are idempotent."""
        tweet = self.get_object()
        if request.method == "DELETE":
            services.bookmark_delete(user=request.user, tweet=tweet)
            return Response(status=status.HTTP_204_NO_CONTENT)
        services.bookmark_create(user=request.user, tweet=tweet)
        return tweet_response(self, tweet.pk)


@extend_schema(tags=["accounts"])
class ProfileViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Account search, an account's public profile, its follows and tweets."""

    queryset = User.objects.none()  # objects come from get_object; this names the model
    serializer_class = ProfileSerializer
    lookup_field = "username"
    lookup_value_regex = "[A-Za-z0-9_]{3,}"

    write_actions = {"follow", "block", "mute"}

    def get_permissions(self):
        return [IsAuthenticated()] if self.action in self.write_actions else [AllowAny()]

    def get_object(self):
        username = self.kwargs["username"]
        if self.request.method in SAFE_METHODS:
            account = account_get(username=username, kept=True)
        else:
            account = account_find(username=username)
        if account is None:
            raise Http404
        return account

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description=(
                    "Username prefix (any case), or words of the display name: Korean, Japanese "
                    "and Chinese anywhere in it, other words from their start. At most 200 "
                    "characters."
                ),
            )
        ],
        responses={200: PublicAccountSerializer(many=True)},
    )
    def list(self, request):
        """Active accounts, newest first, or those matching `search`; accounts you block or that
        block you are left out."""
        params = AccountSearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        accounts = selectors.account_search(
            viewer=request.user, search=params.validated_data["search"]
        )
        return account_page_response(self, self.paginate_queryset(accounts))

    def retrieve(self, request, *args, **kwargs):
        account = self.get_object()
        context = {
            **self.get_serializer_context(),
            "relationship": selectors.relationship(viewer=request.user, other=account),
        }
        return Response(ProfileSerializer(account, context=context).data)

    @extend_schema(methods=["POST"], request=None, responses={200: RelationshipSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def follow(self, request, username=None):
        """Follow (POST) or unfollow (DELETE) the account; both are idempotent."""
        account = self.get_object()
        if request.method == "DELETE":
            services.follow_delete(follower=request.user, followee=account)
            return Response(status=status.HTTP_204_NO_CONTENT)
        services.follow_create(follower=request.user, followee=account)
        return Response(selectors.relationship(viewer=request.user, other=account))

    @extend_schema(methods=["POST"], request=None, responses={200: RelationshipSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def block(self, request, username=None):
        """Block (POST) or unblock (DELETE) the account; both are idempotent. Blocking removes
        follows both ways; then neither can follow, like, repost, reply to or mention the other,
        and each disappears from every list the other reads (timeline, profile tweets, replies,
        likes, reposts, follows, bookmarks, tags, notifications, search). Blocking yourself is
        a 400."""
        account = self.get_object()
        if request.method == "DELETE":
            services.block_delete(blocker=request.user, blocked=account)
            return Response(status=status.HTTP_204_NO_CONTENT)
        services.block_create(blocker=request.user, blocked=account)
        return Response(selectors.relationship(viewer=request.user, other=account))

    @extend_schema(
        methods=["POST"], request=MuteInputSerializer, responses={200: RelationshipSerializer}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def mute(self, request, username=None):
        """Mute (POST) or unmute (DELETE) the account: its tweets and reposts leave your home
        timeline and, with `notifications` (default true), your notifications, for `duration`
        seconds or until unmuted. Nothing else changes and the account is not told. Muting again
        replaces the duration and the flag; muting yourself is a 400."""
        account = self.get_object()
        if request.method == "DELETE":
            services.mute_delete(muter=request.user, muted=account)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = MuteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.mute_create(
            muter=request.user,
            muted=account,
            duration=data.validated_data.get("duration"),
            notifications=data.validated_data["notifications"],
        )
        return Response(selectors.relationship(viewer=request.user, other=account))

    @extend_schema(responses={200: PublicAccountSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def followers(self, request, username=None):
        """Accounts following this one, most recent follow first."""
        page = self.paginate_queryset(
            selectors.followers_of(user=self.get_object(), viewer=request.user)
        )
        accounts = [follow.follower for follow in page]
        return account_page_response(self, accounts)

    @extend_schema(responses={200: PublicAccountSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def following(self, request, username=None):
        """Accounts this one follows, most recent follow first."""
        page = self.paginate_queryset(
            selectors.following_of(user=self.get_object(), viewer=request.user)
        )
        accounts = [follow.followee for follow in page]
        return account_page_response(self, accounts)

    @extend_schema(responses={200: TweetSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def tweets(self, request, username=None):
        """The account's tweets, replies and reposts, newest first."""
        page = self.paginate_queryset(
            selectors.tweets_by_author(author=self.get_object(), viewer=request.user)
        )
        return tweet_page_response(self, page)


@extend_schema(tags=["timelines"], responses={200: TweetSerializer(many=True)})
class HomeTimelineView(GenericAPIView):
    """The caller's tweets and those of everyone they follow, newest first."""

    queryset = Tweet.objects.none()  # pages come from the timeline selector
    serializer_class = TweetSerializer
    permission_classes = [IsAuthenticated]

    def get(self, request):
        fetch = selectors.timeline_home_fetch(reader=request.user)
        page = self.paginator.paginate_source(fetch, request)
        return tweet_page_response(self, page, fetch.flags_of(page))


@extend_schema(exclude=True)
class NaiveHomeTimelineView(HomeTimelineView):
    """Benchmark-only (MINITTER_BENCHMARK_ENDPOINTS): the home timeline by the naive query,
    through the same pagination and serializer, as the reference for bench/run.py."""

    def get(self, request):
        page = self.paginate_queryset(selectors.timeline_home_naive(reader=request.user))
        return tweet_page_response(self, page)


@extend_schema(tags=["tweets"], responses={200: TweetSerializer(many=True)})
class BookmarksView(GenericAPIView):
    """The caller's bookmarked tweets, most recent bookmark first."""

    queryset = Tweet.objects.none()  # pages come from the bookmarks selector
    serializer_class = TweetSerializer
    permission_classes = [IsAuthenticated]

    def get(self, request):
        rows = self.paginate_queryset(selectors.bookmarks_of(user=request.user))
        tweets = [row.tweet for row in rows]
        selectors.tweets_hydrate(tweets)
        return tweet_page_response(self, tweets)


@extend_schema(tags=["tags"], responses={200: TweetSerializer(many=True)})
class TagTweetsView(GenericAPIView):
    """Tweets with a hashtag (any letter case, with or without `#`), newest first. A tag that
    cannot be one (no letter, other characters, too long) → 400."""

    queryset = Tweet.objects.none()  # pages come from the tag timeline selector
    serializer_class = TweetSerializer
    permission_classes = [AllowAny]
    pagination_key = "-tweet_id"

    def get(self, request, tag):
        rows = self.paginate_queryset(
            selectors.tag_timeline(tag=services.tag_normalize(tag), viewer=request.user)
        )
        tweets = [row.tweet for row in rows]
        selectors.tweets_hydrate(tweets)
        return tweet_page_response(self, tweets)


class TrendingTagsInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=20, default=10)


class TrendingTagsView(APIView):
    """The tags most accounts used over the last 24 hours, most first."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["tags"],
        parameters=[TrendingTagsInputSerializer],
        responses={200: TrendingTagSerializer(many=True)},
    )
    def get(self, request):
        data = TrendingTagsInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        trending = selectors.tags_trending(limit=data.validated_data["limit"])
        return Response(
            TrendingTagSerializer(trending, many=True, context={"request": request}).data
        )


class ReportCreateView(APIView):
    """Report a tweet or an account to the moderators."""

    @extend_schema(
        request=ReportCreateInputSerializer,
        responses={201: ReportSerializer, 200: ReportSerializer},
        tags=["moderation"],
        description="Reporting the same thing again while your report is open returns it (200).",
    )
    @idempotency.idempotent
    def post(self, request):
        data = ReportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tweet = account = None
        if values.get("tweet") is not None:
            tweet = selectors.tweet_find_original(tweet_id=values["tweet"], viewer=request.user)
            if tweet is None:
                raise services.report_target_gone("tweet")
        else:
            account = account_get(username=values["account"])
            if account is None:
                raise services.report_target_gone("account")
        report, created = services.report_create(
            reporter=request.user,
            reason=values["reason"],
            tweet=tweet,
            account=account,
            comment=values["comment"],
        )
        return Response(
            ReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(tags=["accounts"], responses={200: PublicAccountSerializer(many=True)})
class BlockListView(GenericAPIView):
    """The accounts the caller blocks, most recent block first."""

    queryset = Block.objects.none()  # pages come from the selector
    permission_classes = [IsAuthenticated]

    def get(self, request):
        page = self.paginate_queryset(selectors.blocks_of(user=request.user))
        accounts = [block.blocked for block in page]
        return self.get_paginated_response(PublicAccountSerializer(accounts, many=True).data)


@extend_schema(tags=["accounts"], responses={200: MuteSerializer(many=True)})
class MuteListView(GenericAPIView):
    """The caller's mutes that still apply, most recent first (expired mutes are left out)."""

    queryset = Mute.objects.none()  # pages come from the selector
    permission_classes = [IsAuthenticated]

    def get(self, request):
        page = self.paginate_queryset(selectors.mutes_of(user=request.user))
        return self.get_paginated_response(MuteSerializer(page, many=True).data)


KIND_LIST = ", ".join(Notification.Kind.values)


def notification_kinds(request, name: str) -> list[str]:
    """Kinds from ``?name=a,b``, ``?name=a&name=b`` or Mastodon's ``?name[]=a``; unknown → 400."""
    values = [*request.query_params.getlist(name), *request.query_params.getlist(f"{name}[]")]
    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(Notification.Kind.values))
    if unknown:
        raise ValidationError({name: [f"Unknown kind {unknown[0]!r}; use any of: {KIND_LIST}."]})
    return kinds


def notifications_response(view: GenericAPIView, notifications: list, page: bool = True):
    """Serialize notifications with their tweets hydrated for the whole list at once (media in
    one query, the viewer's likes in one more)."""
    tweets = [n.tweet for n in notifications if n.tweet is not None]
    selectors.tweets_hydrate(tweets)
    data = NotificationSerializer(
        notifications, many=True, context=tweet_context(view, tweets)
    ).data
    return view.get_paginated_response(data) if page else Response(data[0])


@extend_schema(tags=["notifications"])
class NotificationViewSet(viewsets.GenericViewSet):
    """The caller's notifications: someone followed them, liked, reposted or replied to their
    tweet, or mentioned them."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()  # rows come from the selectors
    lookup_value_regex = "[^/]+"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "types", str, description=f"Only these kinds, comma-separated: {KIND_LIST}."
            ),
            OpenApiParameter("exclude_types", str, description="Leave out these kinds."),
        ]
    )
    def list(self, request):
        """Newest first; hidden tweets, suspended accounts, blocked accounts and accounts muted
        with their notifications are left out."""
        rows = selectors.notification_list(
            user=request.user,
            types=notification_kinds(request, "types"),
            exclude_types=notification_kinds(request, "exclude_types"),
        )
        return notifications_response(self, self.paginate_queryset(rows))

    def retrieve(self, request, pk=None):
        notification_id = parse_id(pk)
        notification = (
            selectors.notification_get(user=request.user, notification_id=notification_id)
            if notification_id
            else None
        )
        if notification is None:
            raise Http404
        return notifications_response(self, [notification], page=False)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Delete one notification."""
        notification_id = parse_id(pk)
        if not notification_id or not services.notification_dismiss(
            user=request.user, notification_id=notification_id
        ):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"])
    def clear(self, request):
        """Delete all of the caller's notifications."""
        services.notification_clear(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], request=None, responses={200: NotificationMarkerSerializer})
    @extend_schema(
        methods=["POST"],
        request=NotificationMarkerInputSerializer,
        responses={200: NotificationMarkerSerializer},
    )
    @action(detail=False, methods=["get", "post"])
    def marker(self, request):
        """The read marker: the id of the newest notification the user has seen (0 before the
        first POST), and how many visible notifications are newer (`unread_count`, up to 1,000).
        """
        if request.method == "POST":
            data = NotificationMarkerInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.notification_marker_set(
                user=request.user, last_read_id=data.validated_data["last_read_id"]
            )
        marker, unread = selectors.notification_marker(user=request.user)
        return Response(NotificationMarkerSerializer(marker, context={"unread_count": unread}).data)
