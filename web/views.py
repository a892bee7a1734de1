"""Public HTML pages of tweets and profiles, for people opening a shared link in a browser and
for link previews (OpenGraph). They show what an anonymous reader of the API sees: hidden
tweets, suspended or deactivated accounts and deleted tweets are a 404, and nothing depends on a
session. The API stays the way to do anything."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.selectors import account_get
from core.content import status_html
from core.exceptions import read_only
from core.links import Links
from media.selectors import storage_url, storage_urls_expire
from tweets import selectors

# How many of an account's latest tweets its page lists.
PROFILE_PAGE_TWEETS = 20


def _anonymous():
    return AnonymousUser()


def _shown(tweet, request, links: Links) -> dict:
    """What a page shows of one original tweet."""
    mentioned = tuple(m["username"] for m in tweet.entities.get("mentions", []))
    pictures = [
        {
            "url": storage_url(media.file, request),
            "preview": storage_url(media.preview, request),
            "description": media.description,
        }
        for media in tweet.media_files()
    ]
    return {
        "tweet": tweet,
        "html": status_html(
            tweet.text,
            mentioned=mentioned,
            profile_url=links.template("web-profile"),
            tag_url_root=None,  # no page of a hashtag: its timeline is JSON
        ),
        "pictures": pictures,
        "url": _tweet_url(links, tweet),
        "author_url": links.url("web-profile", tweet.author.username),
    }


def _named(account) -> str:
    """How a page names an account: ``Display Name (@username)``."""
    return f"{account.display_name or account.username} (@{account.username})"


def _tweet_url(links: Links, tweet) -> str:
    path = reverse("web-tweet", kwargs={"username": tweet.author.username, "tweet_id": tweet.pk})
    return links.request.build_absolute_uri(path)


@read_only
def tweet_page(request, username: str, tweet_id: int):
    """A tweet's page. A repost's id, or a username that is not its author's (renamed since),
    redirects to the tweet's own address."""
    tweet = selectors.tweet_get(tweet_id=tweet_id, viewer=_anonymous())
    if tweet is None:
        raise Http404("That tweet does not exist.")
    original = tweet.repost_of if tweet.repost_of_id else tweet
    if original.pk != tweet.pk or original.author.username != username:
        return redirect("web-tweet", username=original.author.username, tweet_id=original.pk)
    links = Links(request)
    shown = _shown(original, request, links)
    description = original.content_warning or original.text
    image = None
    if shown["pictures"] and not original.sensitive and not storage_urls_expire():
        image = shown["pictures"][0]["preview"]
    return TemplateResponse(
        request,
        "web/tweet.html",
        {
            **shown,
            "og_title": _named(original.author),
            "description": description,
            "image": image,
            "api_url": links.url("tweet-detail", original.pk),
            # Under its author's name: the parent's page redirects to its own address.
            "parent_url": reverse(
                "web-tweet",
                kwargs={"username": original.author.username, "tweet_id": original.in_reply_to_id},
            )
            if original.in_reply_to_id
            else None,
        },
    )


@read_only
def profile_page(request, username: str):
    """An account's page: its profile and its latest tweets (originals and replies)."""
    account = account_get(username=username)
    if account is None:
        raise Http404("No account with that username.")
    if account.username != username:
        return redirect("web-profile", username=account.username)
    links = Links(request)
    tweets = list(
        selectors.tweets_by_author(author=account, viewer=_anonymous(), reposts=False)[
            :PROFILE_PAGE_TWEETS
        ]
    )
    avatar = storage_url(account.avatar.preview, request) if account.avatar_id else None
    preview_image = None if storage_urls_expire() else avatar
    return TemplateResponse(
        request,
        "web/profile.html",
        {
            "account": account,
            "og_title": _named(account),
            "avatar": avatar,
            "preview_image": preview_image,
            "tweets": [_shown(tweet, request, links) for tweet in tweets],
            "url": links.url("web-profile", account.username),
            "api_url": links.url("profile-detail", account.username),
        },
    )
