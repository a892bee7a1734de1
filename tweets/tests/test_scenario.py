"""End to end, as a client would: sign up, log in with JWT, follow, post, like, reply, unfollow."""

import pytest
from rest_framework.test import APIClient

from core.testing import API

pytestmark = pytest.mark.django_db


def signed_up_client(username: str) -> APIClient:
    client = APIClient()
    password = f"{username}-has-a-long-passphrase"
    created = client.post(
        f"{API}/auth/signup",
        {"username": username, "email": f"{username}@example.com", "password": password},
        format="json",
    )
    assert created.status_code == 201
    tokens = client.post(
        f"{API}/auth/token", {"username": username, "password": password}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def timeline_texts(client):
    response = client.get(f"{API}/timelines/home")
    assert response.status_code == 200
    return [t["text"] for t in response.json()["results"]]


def test_two_people_follow_post_like_reply_unfollow_and_delete():
    minji, jun = signed_up_client("minji"), signed_up_client("jun")

    hello = minji.post(f"{API}/tweets", {"text": "안녕하세요!"}, format="json").json()
    relationship = jun.post(f"{API}/accounts/minji/follow").json()
    assert (relationship["following"], relationship["followed_by"]) == (True, False)
    assert timeline_texts(jun) == ["안녕하세요!"]

    assert jun.post(f"{API}/tweets/{hello['id']}/like").json()["like_count"] == 1
    reply = jun.post(
        f"{API}/tweets", {"text": "반가워요", "in_reply_to": hello["id"]}, format="json"
    ).json()
    minji.post(f"{API}/accounts/jun/follow")

    assert timeline_texts(minji) == ["반가워요", "안녕하세요!"]
    assert timeline_texts(jun) == ["반가워요", "안녕하세요!"]
    seen_by_minji = minji.get(f"{API}/tweets/{hello['id']}").json()
    assert (seen_by_minji["reply_count"], seen_by_minji["like_count"]) == (1, 1)
    assert seen_by_minji["liked"] is False
    assert jun.get(f"{API}/tweets/{hello['id']}").json()["liked"] is True
    profile = jun.get(f"{API}/accounts/minji").json()
    assert (profile["following"], profile["followed_by"]) == (True, True)
    assert (profile["followers_count"], profile["tweets_count"]) == (1, 1)
    told = minji.get(f"{API}/notifications").json()["results"]
    assert [(n["type"], n["account"]["username"]) for n in told] == [
        ("reply", "jun"),
        ("like", "jun"),
        ("follow", "jun"),
    ]
    assert minji.get(f"{API}/notifications/marker").json()["unread_count"] == 3
    minji.post(f"{API}/notifications/marker", {"last_read_id": told[0]["id"]}, format="json")
    assert minji.get(f"{API}/notifications/marker").json()["unread_count"] == 0

    assert jun.delete(f"{API}/accounts/minji/follow").status_code == 204
    assert timeline_texts(jun) == ["반가워요"]

    assert jun.delete(f"{API}/tweets/{reply['id']}").status_code == 204
    assert timeline_texts(minji) == ["안녕하세요!"]
    assert minji.get(f"{API}/tweets/{hello['id']}").json()["reply_count"] == 0
    told = minji.get(f"{API}/notifications").json()["results"]
    assert [n["type"] for n in told] == ["like"]
