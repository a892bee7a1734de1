"""Accounts: the caller's own (verify and update), profiles by id or name, their statuses,
followers and following; follow, block and mute (and undo them), the caller's blocks and mutes,
relationships and search."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from rest_framework.response import Response

from accounts.selectors import account_get, accounts_by_ids
from core.exceptions import fields_renamed
from mastodon_api import entities, services
from mastodon_api.pagination import limit_param, offset_param, paginate, queryset_fetch
from mastodon_api.views.base import (
    MastodonView,
    paged,
    param_bool,
    param_ids,
    param_int,
    param_list,
    param_text,
    path_id,
)
from tweets import selectors
from tweets import services as tweet_services
from tweets.models import TweetMedia, TweetTag

User = get_user_model()


def get_account(account_id) -> User:
    account = accounts_by_ids(ids=[path_id(account_id)]).get(path_id(account_id))
    if account is None:
        raise Http404
    return account


def relationship_of(viewer, account) -> dict:
    rel = selectors.relationships(viewer=viewer, other_ids=[account.pk])[account.pk]
    return entities.relationship(account.pk, rel)


class VerifyCredentialsView(MastodonView):
    scopes = {"GET": "profile"}

    def get(self, request):
        user = User.objects.select_related("avatar", "header").get(pk=request.user.pk)
        return Response(entities.credential_account(user, request))


class UpdateCredentialsView(MastodonView):
    scopes = {"PATCH": "write:accounts"}
    write_throttle_scope = "upload"  # it may carry an avatar and a header

    def patch(self, request):
        data = request.data
        profile = {}
        if "display_name" in data:
            profile["display_name"] = param_text(data, "display_name")
        if "note" in data:
            profile["bio"] = param_text(data, "note")
        with fields_renamed(bio="note"):
            services.credentials_update(
                user=request.user,
                profile=profile,
                avatar=request.FILES.get("avatar"),
                header=request.FILES.get("header"),
            )
        user = User.objects.select_related("avatar", "header").get(pk=request.user.pk)
        return Response(entities.credential_account(user, request))


class AccountView(MastodonView):
    public = frozenset({"GET"})

    def get(self, request, account_id):
        return Response(entities.account(get_account(account_id), request))


class LookupView(MastodonView):
    public = frozenset({"GET"})

    def get(self, request):
        acct = request.query_params.get("acct", "").lstrip("@")
        username, _, domain = acct.partition("@")
        if domain and domain != request.get_host().split(":")[0] and domain != request.get_host():
            raise Http404
        account = account_get(username=username, kept=True) if username else None
        if account is None:
            raise Http404
        return Response(entities.account(account, request))


class AccountStatusesView(MastodonView):
    public = frozenset({"GET"})

    def get(self, request, account_id):
        account = get_account(account_id)
        params = request.query_params
        if param_bool(params, "pinned"):
            return Response([])  # no pinned posts
        tagged = param_text(params, "tagged")
        tweets = selectors.tweets_by_author(
            author=account,
            viewer=request.user,
            reposts=not (tagged or param_bool(params, "exclude_reblogs")),
        )
        if tagged:
            try:
                tag = tweet_services.tag_normalize(tagged)
            except ValidationError:
                return Response([])  # as Mastodon: no such tag, no statuses
            tweets = tweets.filter(Exists(TweetTag.objects.filter(tweet=OuterRef("pk"), tag=tag)))
        if param_bool(params, "exclude_replies"):
            tweets = tweets.filter(in_reply_to__isnull=True)
        if param_bool(params, "only_media"):
            tweets = tweets.filter(Exists(TweetMedia.objects.filter(tweet=OuterRef("pk"))))
        page, link = paginate(request, queryset_fetch(tweets))
        return paged(entities.statuses(page, request), link)


class FollowersView(MastodonView):
    public = frozenset({"GET"})
    side = "follower"

    def rows(self, account, viewer):
        return selectors.followers_of(user=account, viewer=viewer)

    def get(self, request, account_id):
        rows = self.rows(get_account(account_id), request.user)
        page, link = paginate(request, queryset_fetch(rows), default=40, maximum=80)
        return paged(entities.accounts([getattr(row, self.side) for row in page], request), link)


class FollowingView(FollowersView):
    side = "followee"

    def rows(self, account, viewer):
        return selectors.following_of(user=account, viewer=viewer)


class RelationshipActionView(MastodonView):
    """``POST /api/v1/accounts/:id/<action>``: act on the account, answer the Relationship."""

    def act(self, request, account) -> None:
        raise NotImplementedError

    def post(self, request, account_id):
        account = get_account(account_id)
        self.act(request, account)
        return Response(relationship_of(request.user, account))


class FollowView(RelationshipActionView):
    """Follow. Hiding the account's reblogs (``reblogs=false``), being notified of its posts
    (``notify=true``) and following some of its languages only are refused rather than ignored:
    minitter has none of them, and the toggle would snap back."""

    scopes = {"POST": "write:follows"}

    def act(self, request, account):
        data = request.data
        if not param_bool(data, "reblogs", default=True):
            raise ValidationError({"reblogs": ["Hiding an account's reblogs is not supported."]})
        if param_bool(data, "notify"):
            raise ValidationError({"notify": ["Notifications of new posts are not supported."]})
        if param_list(data, "languages"):
            raise ValidationError(
                {"languages": ["Following only some languages is not supported."]}
            )
        tweet_services.follow_create(follower=request.user, followee=account)


class UnfollowView(RelationshipActionView):
    scopes = {"POST": "write:follows"}

    def act(self, request, account):
        tweet_services.follow_delete(follower=request.user, followee=account)


class BlockView(RelationshipActionView):
    """Block: follows both ways end, and neither account sees or reaches the other."""

    scopes = {"POST": "write:blocks"}

    def act(self, request, account):
        tweet_services.block_create(blocker=request.user, blocked=account)


class UnblockView(RelationshipActionView):
    scopes = {"POST": "write:blocks"}

    def act(self, request, account):
        tweet_services.block_delete(blocker=request.user, blocked=account)


class MuteView(RelationshipActionView):
    """Mute, with ``notifications`` (default true: hide theirs too) and ``duration`` (seconds,
    0 for no end); muting again replaces both."""

    scopes = {"POST": "write:mutes"}

    def act(self, request, account):
        data = request.data
        tweet_services.mute_create(
            muter=request.user,
            muted=account,
            duration=param_int(data, "duration", 0),
            notifications=param_bool(data, "notifications", True),
        )


class UnmuteView(RelationshipActionView):
    scopes = {"POST": "write:mutes"}

    def act(self, request, account):
        tweet_services.mute_delete(muter=request.user, muted=account)


class BlocksView(MastodonView):
    """The accounts the caller blocks, most recent block first."""

    scopes = {"GET": "read:blocks"}

    def get(self, request):
        blocks = selectors.blocks_of(user=request.user)
        page, link = paginate(request, queryset_fetch(blocks), default=40, maximum=80)
        return paged(entities.accounts([block.blocked for block in page], request), link)


class MutesView(MastodonView):
    """The accounts the caller mutes (mutes that have not ended), most recent first."""

    scopes = {"GET": "read:mutes"}

    def get(self, request):
        mutes = selectors.mutes_of(user=request.user)
        page, link = paginate(request, queryset_fetch(mutes), default=40, maximum=80)
        return paged(entities.muted_accounts(page, request), link)


class RelationshipsView(MastodonView):
    scopes = {"GET": "read:follows"}

    def get(self, request):
        ids = param_ids(request.query_params, "id")[:80]
        known = accounts_by_ids(ids=ids)
        rels = selectors.relationships(viewer=request.user, other_ids=list(known))
        return Response([entities.relationship(pk, rels[pk]) for pk in ids if pk in known])


def accounts_found(request, query: str, *, limit: int, offset: int = 0) -> list[dict]:
    """Accounts matching ``query`` (a leading ``@`` ignored) by username order, leaving out those
    blocked either way; with ``following=true`` only those the caller follows. Shared by
    ``/api/v1/accounts/search`` and ``/api/v2/search``."""
    query = query.strip().lstrip("@")
    if not query:
        return []
    found = selectors.account_search(viewer=request.user, search=query)
    if param_bool(request.query_params, "following") and request.user.is_authenticated:
        followed = selectors.following_of(user=request.user, viewer=request.user)
        found = found.filter(pk__in=followed.values("followee"))
    accounts = found.order_by("username")[offset : offset + limit]
    return entities.accounts(accounts, request)


class AccountSearchView(MastodonView):
    scopes = {"GET": "read:accounts"}

    def get(self, request):
        return Response(
            accounts_found(
                request,
                request.query_params.get("q", ""),
                limit=limit_param(request, 40, 80),
                offset=offset_param(request),
            )
        )
