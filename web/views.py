"""Public HTML pages of tweets, profiles and hashtags, for people opening a shared link in a
browser and for link previews (OpenGraph). They show what an anonymous reader of the API sees:
hidden tweets, suspended or deactivated accounts and deleted tweets are a 404, and nothing
depends on a session. The API stays the way to do anything."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.selectors import account_get
from core.content import status_html
from core.exceptions import PageRequestInvalid, read_only
from core.fields import parse_id
from core.links import Links
from media.selectors import storage_url, storage_urls_expire
from tweets import selectors, services

# How many tweets a profile's or a hashtag's page lists, newest first; the page ends with a link
# to the next older ones.
PAGE_TWEETS = 20
# Pages show what a reader of the API who is not logged in sees.
ANONYMOUS = AnonymousUser()


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
            tag_url_root=links.prefix("web-tag"),
        ),
        "pictures": pictures,
        "url": _tweet_url(links, tweet),
        "author_url": links.url("web-profile", tweet.author.username),
    }


def _named(account) -> str:
    """How a page names an account: ``Display Name (@username)``."""
    return f"{account.display_name or account.username} (@{account.username})"


def _older_than(request) -> int | None:
    """The ``max_id`` a page of older tweets was asked with (its tweets are below that id), None
    for the newest."""
    value = request.GET.get("max_id")
    if value is None:
        return None
    if (pk := parse_id(value)) is None:
        raise PageRequestInvalid("max_id must be a tweet id.")
    return pk


def _page_of(tweets: list, url: str) -> tuple[list, str | None]:
    """The first ``PAGE_TWEETS`` of ``tweets`` (up to one more, newest first, read to know
    whether there are older ones) and the address of the page of those older ones, if any:
    ``url`` (the page's own address) with their ``max_id``."""
    if len(tweets) <= PAGE_TWEETS:
        return tweets, None
    shown = tweets[:PAGE_TWEETS]
    return shown, f"{url}?max_id={shown[-1].pk}"


def _tweet_path(tweet) -> str:
    return reverse("web-tweet", kwargs={"username": tweet.author.username, "tweet_id": tweet.pk})


def _tweet_url(links: Links, tweet) -> str:
    return links.request.build_absolute_uri(_tweet_path(tweet))


@read_only
def tweet_page(request, username: str, tweet_id: int):
    """A tweet's page. A repost's id, a username that is not its author's (renamed since), or
    any other spelling of its address (``/@Name/00123``) redirects to the tweet's own address.
    A reply links the tweet it answers while anyone may see that."""
    tweet = selectors.tweet_get(tweet_id=tweet_id, viewer=ANONYMOUS)
    if tweet is None:
        raise Http404("That tweet does not exist.")
    original = tweet.repost_of if tweet.repost_of_id else tweet
    # Usernames are ASCII letters, digits and underscores: the decoded path and the reversed
    # one are spelt alike.
    if request.path != (address := _tweet_path(original)):
        return redirect(address)
    parent = None
    if original.in_reply_to_id:
        parent = selectors.tweet_get(tweet_id=original.in_reply_to_id, viewer=ANONYMOUS)
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
            "parent_url": None if parent is None else _tweet_path(parent),
        },
    )


@read_only
def profile_page(request, username: str):
    """An account's page: its profile and its tweets (originals and replies), newest first."""
    account = account_get(username=username)
    if account is None:
        raise Http404("No account with that username.")
    if account.username != username:
        address = reverse("web-profile", kwargs={"username": account.username})
        return redirect(f"{address}?{request.GET.urlencode()}" if request.GET else address)
    links = Links(request)
    url = links.url("web-profile", account.username)
    tweets = selectors.tweets_by_author(author=account, viewer=ANONYMOUS, reposts=False)
    if (older_than := _older_than(request)) is not None:
        tweets = tweets.filter(pk__lt=older_than)
    tweets, older_url = _page_of(list(tweets.order_by("-pk")[: PAGE_TWEETS + 1]), url)
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
            "older_than": older_than,
            "older_url": older_url,
            "url": url,
            "api_url": links.url("profile-detail", account.username),
        },
    )


@read_only
def tag_page(request, tag: str):
    """A hashtag's page: the tweets that have it, newest first (any letter case, as its
    timeline). A name that cannot be a hashtag is a 400."""
    try:
        name = services.tag_normalize(tag)
    except ValidationError as error:
        raise PageRequestInvalid(error.message_dict["tag"][0]) from None
    links = Links(request)
    rows = selectors.tag_timeline(tag=name, viewer=ANONYMOUS).order_by("-tweet_id")
    if (older_than := _older_than(request)) is not None:
        rows = rows.filter(tweet_id__lt=older_than)
    url = links.url("web-tag", name)
    tweets, older_url = _page_of([row.tweet for row in rows[: PAGE_TWEETS + 1]], url)
    selectors.tweets_hydrate(tweets)
    return TemplateResponse(
        request,
        "web/tag.html",
        {
            "name": name,
            "og_title": f"#{name}",
            "tweets": [_shown(tweet, request, links) for tweet in tweets],
            "older_than": older_than,
            "older_url": older_url,
            "url": url,
            "api_url": links.url("tag-tweets", name),
        },
    )
