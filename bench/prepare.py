"""Benchmark accounts on a seeded database, and long-lived tokens for them (JSON on stdout).

Run by bench/run.py after seed_demo. Creates (or reuses) readers following 50 and up to 5,000
accounts, authors with 50 and up to 5,000 followers, and an account for the like and follow rows,
and a registered app's OAuth token for the big reader, as Mastodon apps sign in. All of it goes
through the services, so timelines and counters are what the live code makes.
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minitter.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import get_access_token_model, get_application_model  # noqa: E402
from oauthlib.common import generate_token  # noqa: E402

from accounts.tokens import AccessToken  # noqa: E402
from mastodon_api.services import OOB, app_create  # noqa: E402
from tweets import services  # noqa: E402
from tweets.models import Tweet  # noqa: E402

User = get_user_model()
TOKEN_LIFETIME = timedelta(hours=6)
BENCH_APP = "minitter benchmark"
APP_SCOPES = "read write follow"


def account(username: str):
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.invalid"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def token(user) -> str:
    access = AccessToken.for_user(user)
    access.set_exp(lifetime=TOKEN_LIFETIME)
    return str(access)


def oauth_token(user) -> str:
    """An access token of a registered app for ``user``, as the OAuth server issues them."""
    app = get_application_model().objects.filter(name=BENCH_APP).first()
    if app is None:
        app, _secret = app_create(name=BENCH_APP, redirect_uris=OOB, scopes=APP_SCOPES)
    token = generate_token()
    get_access_token_model().objects.create(
        user=user,
        application=app,
        token=token,
        scope=APP_SCOPES,
        expires=timezone.now() + TOKEN_LIFETIME,
    )
    return token


def main() -> None:
    others = list(
        User.objects.exclude(username__startswith="bench_")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    big = min(5000, len(others))
    readers = {"reader_50": 50, "reader_5000": big}
    result = {"accounts": len(others), "big": big}
    for name, follows in readers.items():
        reader = account(f"bench_{name}")
        for pk in others[:follows]:
            services.follow_create(follower=reader, followee=User(pk=pk))
        result[name] = token(reader)
    result["reader_5000_app"] = oauth_token(reader)
    for name, followers in {"author_50": 50, "author_5000": big}.items():
        author = account(f"bench_{name}")
        for pk in others[-followers:]:
            services.follow_create(follower=User.objects.get(pk=pk), followee=author)
        author.refresh_from_db()
        result[name] = token(author)
    actor = account("bench_actor")
    result["actor"] = token(actor)
    result["follow_target"] = User.objects.get(pk=others[0]).username
    tweet = Tweet.objects.originals_visible_to(None).order_by("-pk").first()
    result["tweet_id"] = str(tweet.pk)
    result["profile"] = tweet.author.username
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
