"""Reports: an account, and some of its statuses, reported to the moderators."""

from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework.response import Response

from mastodon_api import entities, services
from mastodon_api.views.accounts import get_account
from mastodon_api.views.base import MastodonView, param, param_ids, param_text
from tweets import selectors

MAX_STATUSES = 100


class ReportsView(MastodonView):
    """``account_id`` (required), ``status_ids[]`` (at most 100 statuses of that account the
    caller can see, its reblogs too, or a reblog of one; any other → 404), ``comment`` (at
    most 1,000 characters), ``category`` (``spam``, ``legal``, ``violation``, ``other``: the
    default). ``forward`` and ``rule_ids[]`` change nothing: minitter has no other servers and
    no rules."""

    scopes = {"POST": "write:reports"}

    def post(self, request):
        data = request.data
        if param(data, "account_id") in (None, ""):
            raise ValidationError({"account_id": ["Say which account you report."]})
        account = get_account(param(data, "account_id"))
        status_ids = list(dict.fromkeys(param_ids(data, "status_ids")))
        if len(status_ids) > MAX_STATUSES:
            raise ValidationError({"status_ids": [f"At most {MAX_STATUSES} statuses."]})
        tweets = _reported_statuses(request.user, account, status_ids)
        reports = services.report_file(
            reporter=request.user,
            account=account,
            tweets=tweets,
            category=param_text(data, "category", "other") or "other",
            comment=param_text(data, "comment"),
        )
        return Response(entities.report(reports, account, request))


def _reported_statuses(viewer, account, status_ids: list[int]) -> list:
    """The statuses reported, all of ``account`` and visible to ``viewer``, else a 404. A reblog
    is a status of the account that reblogged (as on Mastodon); a reblog's id given with its
    original's author stands for the original (what clients show)."""
    given = list(selectors.tweet_queryset(viewer=viewer).filter(pk__in=status_ids))
    if len(given) != len(status_ids):
        raise Http404
    reported = {tweet.pk: tweet for tweet in given if tweet.author_id == account.pk}
    originals = {tweet.repost_of_id for tweet in given if tweet.author_id != account.pk}
    if None in originals:  # another account's original
        raise Http404
    if missing := originals - reported.keys():  # read only for reblogs of the account's statuses
        found = selectors.tweet_queryset(viewer=viewer).filter(pk__in=missing, author=account)
        reported.update((tweet.pk, tweet) for tweet in found)
        if not missing <= reported.keys():
            raise Http404
    return [reported[pk] for pk in sorted(reported)]
