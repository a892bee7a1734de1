"""Finding things: search (``/api/v2/search``) and trending hashtags."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http.request import split_domain_port
from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.response import Response

from core.fields import parse_id
from mastodon_api import entities
from mastodon_api.pagination import id_param, limit_param, offset_param
from mastodon_api.views.accounts import accounts_found, get_account
from mastodon_api.views.base import MastodonView
from tweets import selectors, services

SEARCH_TYPES = ("accounts", "statuses", "hashtags")


def _statuses_found(request, query: str, *, limit: int, offset: int) -> list[dict]:
    """Original statuses matching ``query``, newest first, from ``account_id`` only if given and
    between ``max_id`` and ``min_id``."""
    params = request.query_params
    author = get_account(params["account_id"]) if params.get("account_id") else None
    tweets = selectors.tweet_search(viewer=request.user, text=query, author=author)
    max_id, min_id = id_param(request, "max_id"), id_param(request, "min_id")
    if max_id is not None:
        tweets = tweets.filter(pk__lt=max_id)
    if min_id is not None:
        tweets = tweets.filter(pk__gt=min_id)
    return entities.statuses(tweets.order_by("-pk")[offset : offset + limit], request)


def _hashtags_found(request, query: str, *, offset: int) -> list[dict]:
    """The hashtag the query names, if it can be one (as Mastodon, which offers the exact tag
    whether or not anyone used it yet)."""
    try:
        name = services.tag_normalize(query)
    except ValidationError:
        return []
    return [entities.tag(name, request)] if offset == 0 else []


# Routes whose URLs name a tweet or an account (their pages and the own API's), by the argument
# that names it.
_TWEET_ROUTES = {"web-tweet": "tweet_id", "tweet-detail": "pk"}
_ACCOUNT_ROUTES = {"web-profile": "username", "profile-detail": "username"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def _named_by_url(request, query: str) -> dict | None:
    """The search's answer when ``query`` is the URL of a tweet or an account of this server (a
    link a client opens in the app, as Mastodon resolves its own): that one status or account,
    as the caller may see it; None for any other query."""
    try:
        parts = urlsplit(query)
        address = (parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme))
    except ValueError:  # no URL (a bracketed host that is no IPv6 address, a bad port)
        return None
    host, port = split_domain_port(request.get_host())
    if parts.scheme not in DEFAULT_PORTS or address != (
        host.strip("[]"),  # an IPv6 address, as urlsplit gives it
        int(port) if port else DEFAULT_PORTS[request.scheme],
    ):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    found = {"accounts": [], "statuses": [], "hashtags": []}
    if match.url_name in _TWEET_ROUTES:
        tweet_id = parse_id(str(match.kwargs[_TWEET_ROUTES[match.url_name]]))
        original = None
        if tweet_id is not None:
            original = selectors.tweet_find_original(tweet_id=tweet_id, viewer=request.user)
        if original is not None:
            found["statuses"] = entities.statuses(
                selectors.tweet_search(viewer=request.user).filter(pk=original.pk), request
            )
    elif match.url_name in _ACCOUNT_ROUTES:
        username = match.kwargs[_ACCOUNT_ROUTES[match.url_name]]
        accounts = selectors.account_search(viewer=request.user).filter(
            username__lower=username.lower()
        )
        found["accounts"] = entities.accounts(accounts, request)
    else:
        return None
    return found


class SearchView(MastodonView):
    """``q`` (required), ``type`` (``accounts``, ``statuses`` or ``hashtags``; all three when
    absent), ``limit`` (default 20, at most 40), ``offset`` (needs a token, as on Mastodon),
    ``following`` and ``account_id`` (accounts followed; statuses by that account),
    ``max_id``/``min_id`` (statuses). ``resolve`` changes nothing: every account is local. The
    URL of a tweet's or an account's page (or of its JSON) finds that status or account."""

    public = frozenset({"GET"})

    def get(self, request):
        params = request.query_params
        query = params.get("q", "").strip()
        if not query:
            raise exceptions.ParseError("Give something to search for as `q`.")
        kind = params.get("type") or None
        if kind is not None and kind not in SEARCH_TYPES:
            raise ValidationError({"type": [f"Choose one of: {', '.join(SEARCH_TYPES)}."]})
        if params.get("offset") and not request.user.is_authenticated:
            return Response(
                {"error": "Search queries pagination is not supported without authentication"},
                status=401,
            )
        limit, offset = limit_param(request, 20, 40), offset_param(request)
        wanted = {kind} if kind else set(SEARCH_TYPES)
        named = _named_by_url(request, query)
        if named is not None:
            shown = {
                name: found if name in wanted and offset == 0 else []
                for name, found in named.items()
            }
            return Response(shown)
        return Response(
            {
                "accounts": accounts_found(request, query, limit=limit, offset=offset)
                if "accounts" in wanted
                else [],
                "statuses": _statuses_found(request, query, limit=limit, offset=offset)
                if "statuses" in wanted
                else [],
                "hashtags": _hashtags_found(request, query, offset=offset)
                if "hashtags" in wanted
                else [],
            }
        )


class TrendingTagsView(MastodonView):
    """The hashtags most accounts used over the last 24 hours, most first: ``limit`` (default
    10, at most 20) and ``offset``."""

    public = frozenset({"GET"})

    def get(self, request):
        limit, offset = limit_param(request, 10, 20), offset_param(request, maximum=1000)
        trending = selectors.tags_trending(limit=offset + limit)[offset:]
        return Response(
            [entities.tag(row["name"], request, accounts=row["accounts"]) for row in trending]
        )
