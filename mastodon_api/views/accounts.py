"""Accounts: the caller's own (verify and update), profiles by id or name, their statuses,
followers and following, follow and unfollow, relationships and search."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from rest_framework.response import Response

from accounts.selectors import account_get, accounts_by_ids
from mastodon_api import entities, services
from mastodon_api.pagination import limit_param, paginate, queryset_fetch
from mastodon_api.views.base import (
    MastodonView,
    paged,
    param_bool,
    param_ids,
    param_text,
    path_id,
)
from tweets import selectors
from tweets import services as tweet_services
from tweets.models import TweetMedia

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
        user = User.objects.select_related("avatar").get(pk=request.user.pk)
        return Response(entities.credential_account(user, request))


class UpdateCredentialsView(MastodonView):
    scopes = {"PATCH": "write:accounts"}
    write_throttle_scope = "upload"  # it may carry an avatar

    def patch(self, request):
        data = request.data
        if request.FILES.get("header") is not None:
            raise ValidationError({"header": ["Header images are not supported on this server."]})
        profile = {}
        if "display_name" in data:
            profile["display_name"] = param_text(data, "display_name")
        if "note" in data:
            profile["bio"] = param_text(data, "note")
        services.credentials_update(
            user=request.user, profile=profile, avatar=request.FILES.get("avatar")
        )
        user = User.objects.select_related("avatar").get(pk=request.user.pk)
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
        account = account_get(username=username) if username else None
        if account is None:
            raise Http404
        return Response(entities.account(account, request))


class AccountStatusesView(MastodonView):
    public = frozenset({"GET"})

    def get(self, request, account_id):
        account = get_account(account_id)
        params = request.query_params
        if param_bool(params, "pinned") or params.get("tagged"):
            return Response([])  # no pinned posts; featured tags are not supported
        tweets = selectors.tweets_by_author(
            author=account, viewer=request.user, reposts=not param_bool(params, "exclude_reblogs")
        )
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
        return paged([entities.account(getattr(row, self.side), request) for row in page], link)


class FollowingView(FollowersView):
    side = "followee"

    def rows(self, account, viewer):
        return selectors.following_of(user=account, viewer=viewer)


class FollowView(MastodonView):
    scopes = {"POST": "write:follows"}

    def post(self, request, account_id):
        account = get_account(account_id)
        tweet_services.follow_create(follower=request.user, followee=account)
        return Response(relationship_of(request.user, account))


class UnfollowView(MastodonView):
    scopes = {"POST": "write:follows"}

    def post(self, request, account_id):
        account = get_account(account_id)
        tweet_services.follow_delete(follower=request.user, followee=account)
        return Response(relationship_of(request.user, account))


class RelationshipsView(MastodonView):
    scopes = {"GET": "read:follows"}

    def get(self, request):
        ids = param_ids(request.query_params, "id")[:80]
        known = accounts_by_ids(ids=ids)
        rels = selectors.relationships(viewer=request.user, other_ids=list(known))
        return Response([entities.relationship(pk, rels[pk]) for pk in ids if pk in known])


class AccountSearchView(MastodonView):
    scopes = {"GET": "read:accounts"}

    def get(self, request):
        query = request.query_params.get("q", "").strip().lstrip("@")
        if not query:
            return Response([])
        limit = limit_param(request, 40, 80)
        try:
            offset = max(0, int(request.query_params.get("offset", 0)))
        except ValueError:
            offset = 0
        found = selectors.account_search(viewer=request.user, search=query)
        if param_bool(request.query_params, "following"):
            followed = selectors.following_of(user=request.user, viewer=request.user)
            found = found.filter(pk__in=followed.values("followee"))
        accounts = found.order_by("username")[offset : offset + limit]
        return Response([entities.account(account, request) for account in accounts])
