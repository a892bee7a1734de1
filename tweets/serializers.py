"""Input and output shapes of the social API."""

from functools import partial

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.serializers import (
    AvatarUrlsMixin,
    HeaderUrlsMixin,
    PublicAccountSerializer,
    header_json,
    profile_image_urls,
)
from core.copies import derived
from core.fields import (
    IdField,
    IdListField,
    IdReferenceField,
    OptionalBooleanField,
    OptionalCharField,
    StrictCharField,
    parse_id,
)
from core.links import links_for
from core.renderers import format_timestamp
from media.selectors import storage_url
from media.serializers import MediaSerializer
from tweets.models import Mute, Notification, NotificationMarker, Report, Tweet
from tweets.services.relationships import MAX_MUTE_SECONDS


# --- Input ---------------------------------------------------------------------------------------
@extend_schema_field({"type": "string", "maxLength": settings.TWEET_MAX_LENGTH})
class TweetTextField(StrictCharField):
    """Tweet text; its rules (at most TWEET_MAX_LENGTH code points once trimmed; text, a
    picture or both) live in ``tweet_text_clean`` and ``tweet_content_check``."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, allow_blank=True, **kwargs)


class TweetCreateInputSerializer(serializers.Serializer):
    text = TweetTextField(
        required=False,
        default="",
        style={"base_template": "textarea.html", "rows": 3},
        help_text="What it says; may be left out when it has pictures.",
    )
    sensitive = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Marked sensitive: clients show its pictures behind a warning.",
    )
    language = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=35,
        help_text="What it is written in: an ISO 639 code (`en`, `ko`; `en-US` keeps `en`).",
    )
    content_warning = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "A few words clients show in place of the text until it is opened (Mastodon's "
            "spoiler text); counted with the text. Makes the tweet sensitive."
        ),
    )
    in_reply_to = IdReferenceField(
        required=False, allow_null=True, help_text="Id of the tweet this replies to."
    )
    media_ids = IdListField(
        required=False,
        default=list,
        max_length=settings.MEDIA_MAX_PER_TWEET,
        help_text="Up to 4 ids from `POST media`: the caller's own, not yet attached.",
    )


class TweetUpdateInputSerializer(serializers.Serializer):
    text = TweetTextField(style={"base_template": "textarea.html", "rows": 3})
    sensitive = OptionalBooleanField(
        help_text="Left as it is when not given; always true with a content warning."
    )
    content_warning = OptionalCharField(
        help_text=(
            'Its content warning from now on, or "" (JSON: a form\'s empty box is not given) for '
            "none, which also makes it not sensitive unless `sensitive` says so. Left as it is "
            "when not given."
        )
    )
    language = OptionalCharField(
        max_length=35, help_text='An ISO 639 code, or "" for none. Left as it is when not given.'
    )
    media_ids = IdListField(
        required=False,
        default=None,
        max_length=settings.MEDIA_MAX_PER_TWEET,
        help_text=(
            "The tweet's attachments from now on, in order: ids it has or had (an earlier "
            "edit took it off) or from `POST media` (the caller's own, not yet attached). "
            "Those left out stay in the history. Left as they are when not given."
        ),
    )
    media_descriptions = serializers.DictField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False),
        required=False,
        default=dict,
        help_text="New descriptions of attachments the tweet keeps or gets, by media id.",
    )

    def validate_media_descriptions(self, descriptions: dict) -> dict[int, str]:
        by_id = {}
        for key, description in descriptions.items():
            pk = parse_id(key)
            if pk is None:
                raise serializers.ValidationError(f"Not a media id: {key!r}.")
            by_id[pk] = description
        return by_id


class ReportCreateInputSerializer(serializers.Serializer):
    tweet = IdReferenceField(required=False, allow_null=True, help_text="Id of a tweet to report.")
    account = StrictCharField(
        required=False, allow_null=True, max_length=30, help_text="Username of an account."
    )
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    comment = StrictCharField(required=False, allow_blank=True, max_length=1000, default="")

    def validate(self, attrs):
        if (attrs.get("tweet") is None) == (attrs.get("account") is None):
            raise serializers.ValidationError("Give either `tweet` or `account`.")
        return attrs


class MuteInputSerializer(serializers.Serializer):
    duration = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_MUTE_SECONDS,
        help_text="Seconds until the mute ends by itself; 0 or absent: until unmuted.",
    )
    notifications = serializers.BooleanField(
        required=False, default=True, help_text="Also hide their notifications (default true)."
    )


class NotificationMarkerInputSerializer(serializers.Serializer):
    last_read_id = IdReferenceField(
        allow_null=False, help_text="Id of the newest notification the user has seen."
    )


# --- Output --------------------------------------------------------------------------------------
class AuthorSerializer(AvatarUrlsMixin, serializers.Serializer):
    id = IdField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class MentionSerializer(serializers.Serializer):
    """A mentioned account and where the mention is in the text (code-point offsets)."""

    id = IdField()
    username = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, mention):
        return reverse(
            "profile-detail", args=[mention["username"]], request=self.context.get("request")
        )


class TagSerializer(serializers.Serializer):
    """A hashtag: its normalized name, where it is in the text, and its timeline."""

    name = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, tag):
        return reverse("tag-tweets", args=[tag["name"]], request=self.context.get("request"))


class OriginalTweetSerializer(serializers.ModelSerializer):
    """A tweet as clients see it. The viewer's flags (``liked``, ``reposted``, ``bookmarked``)
    come from ``flags`` in the context (``selectors.viewer_flags``)."""

    # The declared fields document the shape (the OpenAPI schema); ``tweet_json`` writes it with
    # plain code: every list of the API serializes tweets, and DRF's per-field machinery cost
    # more than the page's queries.

    id = IdField()
    author = AuthorSerializer(read_only=True)
    in_reply_to = IdField(source="in_reply_to_id", allow_null=True)
    liked = serializers.BooleanField(read_only=True)
    reposted = serializers.BooleanField(read_only=True)
    bookmarked = serializers.BooleanField(read_only=True)
    url = serializers.URLField(read_only=True)
    language = serializers.CharField(
        read_only=True, allow_null=True, help_text="An ISO 639 code, or null when not said."
    )
    content_warning = serializers.CharField(
        read_only=True, help_text='Shown in place of the text until opened; "" for none.'
    )
    media = MediaSerializer(many=True, read_only=True)
    mentions = MentionSerializer(many=True, read_only=True)
    tags = TagSerializer(many=True, read_only=True)

    class Meta:
        model = Tweet
        fields = [
            "id",
            "text",
            "author",
            "created_at",
            "edited_at",
            "sensitive",
            "content_warning",
            "language",
            "in_reply_to",
            "reply_count",
            "like_count",
            "repost_count",
            "liked",
            "reposted",
            "bookmarked",
            "url",
            "media",
            "mentions",
            "tags",
        ]
        read_only_fields = fields

    def to_representation(self, tweet) -> dict:
        return tweet_json(tweet, self.context, with_original=False)


def _author_json(user, context: dict) -> dict:
    avatar_url, avatar_preview_url = profile_image_urls(user, "avatar", context.get("request"))
    return {
        "avatar_url": avatar_url,
        "avatar_preview_url": avatar_preview_url,
        "id": str(user.pk),
        "username": user.username,
        "display_name": user.display_name,
    }


def _media_json(media, request) -> dict:
    return {
        "id": str(media.pk),
        "type": media.kind,
        "url": storage_url(media.file, request),
        "preview_url": storage_url(media.preview, request),
        "width": media.width,
        "height": media.height,
        "description": media.description,
    }


def tweet_json(tweet: Tweet, context: dict, *, with_original: bool = True) -> dict:
    """A tweet (with ``author`` and, for a repost, ``repost_of`` joined and attachments
    prefetched, as ``Tweet.objects.with_author()`` gives) in the shape ``TweetSerializer``
    documents; ``with_original=False`` for ``OriginalTweetSerializer``'s shape.

    Everything but the viewer's flags depends on the tweet and the links' root alone, so for a
    copy the process holds (a page's, ``core.copies``) it is written once and kept with the
    copy (``derived``); the flags are put in for each viewer."""
    links = links_for(context)
    shown = derived(
        tweet,
        ("tweet_json", with_original, links.root),
        partial(_tweet_json, tweet, context, with_original=with_original),
    )
    flags = context.get("flags", {})
    data = {**shown, **_flags_json(tweet.pk, flags)}
    original = shown.get("repost_of")
    if original is not None:
        data["repost_of"] = {**original, **_flags_json(tweet.repost_of_id, flags)}
    return data


def _flags_json(pk: int, flags: dict) -> dict:
    return {
        "liked": pk in flags.get("liked", ()),
        "reposted": pk in flags.get("reposted", ()),
        "bookmarked": pk in flags.get("bookmarked", ()),
    }


def _entities_json(entities: dict, links) -> dict:
    """The ``mentions`` and ``tags`` of a tweet's JSON, from its ``entities``."""
    return {
        "mentions": [
            {
                "id": str(mention["id"]),
                "username": mention["username"],
                "start": mention["start"],
                "end": mention["end"],
                "url": links.url("profile-detail", mention["username"]),
            }
            for mention in entities.get("mentions", ())
        ],
        "tags": [
            {
                "name": tag["name"],
                "start": tag["start"],
                "end": tag["end"],
                "url": links.url("tag-tweets", tag["name"]),
            }
            for tag in entities.get("tags", ())
        ],
    }


def _tweet_json(tweet: Tweet, context: dict, *, with_original: bool) -> dict:
    """``tweet_json`` without the viewer's flags (each False, in its place)."""
    links = links_for(context)
    request = context.get("request")
    data = {
        "id": str(tweet.pk),
        "text": tweet.text,
        "author": _author_json(tweet.author, context),
        # As the renderer writes times: written once here, with the rest of what is kept.
        "created_at": format_timestamp(tweet.created_at),
        "edited_at": format_timestamp(tweet.edited_at) if tweet.edited_at else None,
        "sensitive": tweet.sensitive,
        "content_warning": tweet.content_warning,
        "language": tweet.language or None,
        "in_reply_to": str(tweet.in_reply_to_id) if tweet.in_reply_to_id else None,
        "reply_count": tweet.reply_count,
        "like_count": tweet.like_count,
        "repost_count": tweet.repost_count,
        "liked": False,
        "reposted": False,
        "bookmarked": False,
        "url": links.url("tweet-detail", tweet.pk),
        "media": [_media_json(media, request) for media in tweet.media_files()],
        **_entities_json(tweet.entities, links),
    }
    if with_original:
        original = tweet.repost_of if tweet.repost_of_id else None
        data["repost_of"] = (
            _tweet_json(original, context, with_original=False) if original else None
        )
    return data


class TrendingTagSerializer(serializers.Serializer):
    name = serializers.CharField()
    accounts = serializers.IntegerField(help_text="Distinct accounts that used it in the last day.")
    url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "uri"})
    def get_url(self, tag):
        return reverse("tag-tweets", args=[tag["name"]], request=self.context.get("request"))


class TweetSerializer(OriginalTweetSerializer):
    """A tweet, or a repost: then ``author`` and ``created_at`` say who reposted it and when,
    ``text`` is empty, and ``repost_of`` is the original (Mastodon's ``reblog``)."""

    repost_of = OriginalTweetSerializer(read_only=True, allow_null=True)

    class Meta(OriginalTweetSerializer.Meta):
        fields = [*OriginalTweetSerializer.Meta.fields, "repost_of"]
        read_only_fields = fields

    def to_representation(self, tweet) -> dict:
        return tweet_json(tweet, self.context)


class TweetVersionSerializer(serializers.Serializer):
    """One version of a tweet (``selectors.tweet_versions``): what it said from ``created_at``
    on. Its pictures are those of that version that still exist, described as it described
    them."""

    text = serializers.CharField(read_only=True)
    content_warning = serializers.CharField(read_only=True)
    sensitive = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    media = MediaSerializer(many=True, read_only=True)
    mentions = MentionSerializer(many=True, read_only=True)
    tags = TagSerializer(many=True, read_only=True)

    def to_representation(self, version) -> dict:
        return {
            "text": version.text,
            "content_warning": version.content_warning,
            "sensitive": version.sensitive,
            "created_at": format_timestamp(version.created_at),
            "media": [
                _media_json(media, self.context.get("request")) for media in version.media_files
            ],
            **_entities_json(version.entities, links_for(self.context)),
        }


# What a profile says of how the viewer and the account stand (null for an anonymous viewer).
RELATIONSHIP_FIELDS = ("following", "followed_by", "blocking", "blocked_by", "muting")


class ProfileSerializer(HeaderUrlsMixin, PublicAccountSerializer):
    """A public profile with its header, its counts and, for a logged-in viewer, the
    relationship."""

    following = serializers.BooleanField(allow_null=True, read_only=True)
    followed_by = serializers.BooleanField(allow_null=True, read_only=True)
    blocking = serializers.BooleanField(allow_null=True, read_only=True)
    blocked_by = serializers.BooleanField(allow_null=True, read_only=True)
    muting = serializers.BooleanField(allow_null=True, read_only=True)

    class Meta(PublicAccountSerializer.Meta):
        fields = [
            *PublicAccountSerializer.Meta.fields,
            "header_url",
            "header_preview_url",
            "followers_count",
            "following_count",
            "tweets_count",
            "following",
            "followed_by",
            "blocking",
            "blocked_by",
            "muting",
        ]
        read_only_fields = fields

    def to_representation(self, account) -> dict:
        relationship = self.context.get("relationship") or {}
        return {
            **super().to_representation(account),
            **header_json(account, self.context.get("request")),
            "followers_count": account.followers_count,
            "following_count": account.following_count,
            "tweets_count": account.tweets_count,
            **{name: relationship.get(name) for name in RELATIONSHIP_FIELDS},
        }


class RelationshipSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    followed_by = serializers.BooleanField()
    blocking = serializers.BooleanField()
    blocked_by = serializers.BooleanField()
    muting = serializers.BooleanField()
    muting_notifications = serializers.BooleanField()


class MuteSerializer(serializers.ModelSerializer):
    account = PublicAccountSerializer(source="muted", read_only=True)

    class Meta:
        model = Mute
        fields = ["account", "notifications", "expires_at", "created_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    """A notification: ``type`` is what happened, ``account`` who did it, ``tweet`` (null for a
    follow) the liked or reposted tweet, the reply or the mentioning tweet. The tweet needs the
    same context as ``TweetSerializer``."""

    id = IdField()
    type = serializers.ChoiceField(source="kind", choices=Notification.Kind.choices)
    account = PublicAccountSerializer(source="actor", read_only=True)
    tweet = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "type", "created_at", "account", "tweet"]
        read_only_fields = fields

    @extend_schema_field(TweetSerializer(allow_null=True))
    def get_tweet(self, notification):
        if notification.tweet is None:
            return None
        return TweetSerializer(notification.tweet, context=self.context).data


class NotificationMarkerSerializer(serializers.ModelSerializer):
    last_read_id = IdField()
    unread_count = serializers.SerializerMethodField(
        help_text="Visible notifications newer than the marker, counted up to 1,000."
    )

    class Meta:
        model = NotificationMarker
        fields = ["last_read_id", "version", "updated_at", "unread_count"]
        read_only_fields = fields

    def get_unread_count(self, marker) -> int:
        return self.context["unread_count"]


class ReportSerializer(serializers.ModelSerializer):
    id = IdField()
    tweet = IdField(source="tweet_id", allow_null=True)
    account = serializers.CharField(source="account.username", default=None, allow_null=True)

    class Meta:
        model = Report
        fields = ["id", "tweet", "account", "reason", "comment", "status", "created_at"]
        read_only_fields = fields
