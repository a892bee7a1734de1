"""Accounts through the Mastodon API: the caller's own, profiles, follows, relationships, search."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from core.testing.images import image_bytes
from media.models import MediaFile
from tweets import services as tweet_services
from tweets.models import Follow
from tweets.tests.factories import TweetFactory, follow, repost

pytestmark = pytest.mark.django_db


def test_verify_credentials_has_source_and_never_null_images(oauth_client):
    user = UserFactory(bio="Hello <b>world</b>")
    body = oauth_client(user).get("/api/v1/accounts/verify_credentials").json()
    assert body["id"] == str(user.pk)
    assert body["acct"] == user.username
    assert body["note"] == "<p>Hello &lt;b&gt;world&lt;/b&gt;</p>"
    assert body["source"]["note"] == "Hello <b>world</b>"
    assert body["source"]["privacy"] == "public"
    for image in ("avatar", "avatar_static", "header", "header_static"):
        assert body[image].startswith("http://testserver/")
    assert (body["fields"], body["emojis"], body["locked"], body["bot"]) == ([], [], False, False)


def test_update_credentials_with_profile_and_avatar_in_one_multipart_request(oauth_client):
    user = UserFactory()
    client = oauth_client(user)
    avatar = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
    response = client.patch(
        "/api/v1/accounts/update_credentials",
        {"display_name": "Alice", "note": "about me", "avatar": avatar},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Alice"
    assert body["source"]["note"] == "about me"
    assert "/media/" in body["avatar"]


def test_update_credentials_with_a_bad_avatar_changes_nothing(oauth_client):
    user = UserFactory(display_name="Before")
    bad = SimpleUploadedFile("me.png", b"no image", content_type="image/png")
    response = oauth_client(user).patch(
        "/api/v1/accounts/update_credentials",
        {"display_name": "After", "avatar": bad},
        format="multipart",
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: avatar: ")
    user.refresh_from_db()
    assert user.display_name == "Before"


def test_a_note_too_long_is_named_note(oauth_client):
    response = oauth_client(UserFactory()).patch(
        "/api/v1/accounts/update_credentials", {"note": "x" * 5000}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: note: ")


def patch_header(client, content: bytes):
    header = SimpleUploadedFile("banner.png", content, content_type="image/png")
    return client.patch(
        "/api/v1/accounts/update_credentials", {"header": header}, format="multipart"
    )


def test_accounts_without_a_header_show_the_default_image(oauth_client, api_client):
    user = UserFactory()
    mine = oauth_client(user).get("/api/v1/accounts/verify_credentials").json()
    theirs = api_client.get(f"/api/v1/accounts/{user.pk}").json()
    for body in (mine, theirs):
        assert body["header"].endswith("/mastodon_api/header.png")
        assert body["header_static"] == body["header"]


def test_a_header_uploaded_through_update_credentials_shows_on_the_account_and_its_statuses(
    oauth_client, api_client
):
    user, reader = UserFactory(), UserFactory()
    follow(reader, user)
    client = oauth_client(user)
    response = patch_header(client, image_bytes("PNG"))
    assert response.status_code == 200, response.content
    header, header_static = response.json()["header"], response.json()["header_static"]
    assert header.startswith("http://testserver/media/")
    assert header_static.startswith("http://testserver/media/")
    assert header != header_static  # the file and its preview
    assert response.json()["avatar"].endswith("/mastodon_api/avatar.png")

    for body in (
        client.get("/api/v1/accounts/verify_credentials").json(),
        api_client.get(f"/api/v1/accounts/{user.pk}").json(),
        api_client.get(f"/api/v1/accounts/lookup?acct={user.username}").json(),
    ):
        assert (body["header"], body["header_static"]) == (header, header_static)

    TweetFactory(author=user, text="with a banner")
    home = oauth_client(reader).get("/api/v1/timelines/home").json()
    assert (home[0]["account"]["header"], home[0]["account"]["header_static"]) == (
        header,
        header_static,
    )
    following = oauth_client(reader).get(f"/api/v1/accounts/{reader.pk}/following").json()
    assert following[0]["header"] == header


def test_replacing_the_header_through_update_credentials_deletes_the_old_files(
    oauth_client, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client = oauth_client(user)
    patch_header(client, image_bytes("PNG"))
    user.refresh_from_db()
    first = user.header
    with django_capture_on_commit_callbacks(execute=True):
        response = patch_header(client, image_bytes("JPEG"))
    assert response.status_code == 200, response.content
    assert not MediaFile.objects.filter(pk=first.pk).exists()
    assert not (_media_in_tmp_dir / first.file).exists()
    assert not (_media_in_tmp_dir / first.preview).exists()
    user.refresh_from_db()
    assert user.header_id != first.pk
    assert (_media_in_tmp_dir / user.header.file).exists()


def test_update_credentials_with_a_bad_header_is_422_and_changes_nothing(oauth_client):
    user = UserFactory(display_name="Before")
    client = oauth_client(user)
    patch_header(client, image_bytes("PNG"))
    user.refresh_from_db()
    before = user.header_id
    bad = SimpleUploadedFile("banner.png", b"no image", content_type="image/png")
    response = client.patch(
        "/api/v1/accounts/update_credentials",
        {"display_name": "After", "header": bad},
        format="multipart",
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: header: ")
    user.refresh_from_db()
    assert (user.display_name, user.header_id) == ("Before", before)
    assert MediaFile.objects.count() == 1


def test_a_good_avatar_with_a_bad_header_leaves_no_file_behind(
    oauth_client, _media_in_tmp_dir, django_capture_on_commit_callbacks
):
    user = UserFactory(display_name="Before")
    avatar = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
    bad = SimpleUploadedFile("banner.png", b"no image", content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = oauth_client(user).patch(
            "/api/v1/accounts/update_credentials",
            {"display_name": "After", "avatar": avatar, "header": bad},
            format="multipart",
        )
    assert response.status_code == 422
    user.refresh_from_db()
    assert (user.display_name, user.avatar_id, user.header_id) == ("Before", None, None)
    assert not MediaFile.objects.exists()
    assert not [path for path in _media_in_tmp_dir.rglob("*") if path.is_file()]


def test_an_upload_whose_files_cannot_be_deleted_is_left_for_the_clean_up(
    oauth_client, _media_in_tmp_dir, monkeypatch
):
    """The store refuses deletes at the moment the request fails: the new avatar then keeps
    its row, unattached, so that media_cleanup finds and removes it later."""
    user = UserFactory()
    avatar = SimpleUploadedFile("me.png", image_bytes("PNG"), content_type="image/png")
    bad = SimpleUploadedFile("banner.png", b"no image", content_type="image/png")

    def refuse(storage, name):
        raise OSError("store unreachable")

    monkeypatch.setattr(FileSystemStorage, "delete", refuse)
    response = oauth_client(user).patch(
        "/api/v1/accounts/update_credentials",
        {"avatar": avatar, "header": bad},
        format="multipart",
    )
    assert response.status_code == 422
    user.refresh_from_db()
    assert user.avatar_id is None
    (left,) = MediaFile.objects.all()
    assert left.attached_at is None and left.owner_id == user.pk
    assert (_media_in_tmp_dir / left.file).exists()


def test_profile_by_id_and_lookup_by_name(oauth_client, api_client):
    user = UserFactory(username="Minji")
    assert api_client.get(f"/api/v1/accounts/{user.pk}").json()["username"] == "Minji"
    assert api_client.get("/api/v1/accounts/lookup?acct=minji").json()["id"] == str(user.pk)
    assert api_client.get("/api/v1/accounts/lookup?acct=minji@testserver").status_code == 200
    assert api_client.get("/api/v1/accounts/lookup?acct=nobody").status_code == 404
    assert api_client.get("/api/v1/accounts/999999").status_code == 404
    assert api_client.get("/api/v1/accounts/not-an-id").status_code == 404


def test_suspended_accounts_are_not_found(api_client):
    user = UserFactory(is_suspended=True)
    assert api_client.get(f"/api/v1/accounts/{user.pk}").status_code == 404


def test_account_statuses_filters(api_client):
    author = UserFactory()
    post = TweetFactory(author=author)
    reply = TweetFactory(author=author, in_reply_to=post)
    url = f"/api/v1/accounts/{author.pk}/statuses"
    assert [s["id"] for s in api_client.get(url).json()] == [str(reply.pk), str(post.pk)]
    only_posts = api_client.get(url, {"exclude_replies": "true"}).json()
    assert [s["id"] for s in only_posts] == [str(post.pk)]
    assert api_client.get(url, {"only_media": "1"}).json() == []
    assert api_client.get(url, {"pinned": "true"}).json() == []


def test_account_statuses_tagged_lists_the_accounts_statuses_with_that_hashtag(api_client):
    author, other = UserFactory(), UserFactory()
    older = TweetFactory(author=author, text="first #Django post")
    TweetFactory(author=author, text="no tag here")
    newer = TweetFactory(author=author, text="again #django")
    TweetFactory(author=other, text="#django by someone else")
    repost(author, TweetFactory(author=other, text="#django reposted"))
    url = f"/api/v1/accounts/{author.pk}/statuses"
    for tagged in ("django", "DJANGO", "#Django"):
        found = api_client.get(url, {"tagged": tagged}).json()
        assert [s["id"] for s in found] == [str(newer.pk), str(older.pk)], tagged
    assert api_client.get(url, {"tagged": "python"}).json() == []
    assert api_client.get(url, {"tagged": "no such tag!"}).json() == []


def test_follow_refuses_the_options_minitter_cannot_honour(oauth_client):
    me, other = UserFactory(), UserFactory()
    client = oauth_client(me)
    url = f"/api/v1/accounts/{other.pk}/follow"
    for body in (
        {"reblogs": "false"},
        {"notify": "true"},
        {"languages[]": ["en"]},
    ):
        refused = client.post(url, body)
        assert refused.status_code == 422, body
        assert refused.json()["error"].startswith("Validation failed: "), body
    assert client.post(url, {"reblogs": False}, format="json").status_code == 422
    assert not Follow.objects.filter(follower=me).exists()
    followed = client.post(url, {"reblogs": "true", "notify": "false"}).json()
    assert (followed["following"], followed["showing_reblogs"]) == (True, True)


def test_a_notes_hashtags_link_to_the_tags_page(api_client):
    user = UserFactory(bio="I like #Django")
    note = api_client.get(f"/api/v1/accounts/{user.pk}").json()["note"]
    assert 'href="http://testserver/tags/Django"' in note
    assert 'class="mention hashtag"' in note


def test_follow_unfollow_and_relationships(oauth_client):
    me, other = UserFactory(), UserFactory()
    follow(other, me)
    client = oauth_client(me)
    followed = client.post(f"/api/v1/accounts/{other.pk}/follow").json()
    assert followed["id"] == str(other.pk)
    assert (followed["following"], followed["followed_by"]) == (True, True)
    rels = client.get("/api/v1/accounts/relationships", {"id[]": [other.pk, 999999, me.pk]}).json()
    assert [rel["id"] for rel in rels] == [str(other.pk), str(me.pk)]
    assert rels[0]["following"] is True
    unfollowed = client.post(f"/api/v1/accounts/{other.pk}/unfollow").json()
    assert unfollowed["following"] is False
    assert client.post(f"/api/v1/accounts/{me.pk}/follow").status_code == 422


def test_followers_and_following_lists(api_client):
    star = UserFactory()
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        follow(fan, star)
    followers = api_client.get(f"/api/v1/accounts/{star.pk}/followers").json()
    assert [a["id"] for a in followers] == [str(fan.pk) for fan in reversed(fans)]
    following = api_client.get(f"/api/v1/accounts/{fans[0].pk}/following").json()
    assert [a["id"] for a in following] == [str(star.pk)]


def test_account_search(oauth_client):
    UserFactory(username="haneul", display_name="Haneul")
    UserFactory(username="hana_kim", display_name="Hana Kim")
    UserFactory(username="other", display_name="Someone")
    client = oauth_client(UserFactory(display_name="Reader"))
    found = client.get("/api/v1/accounts/search", {"q": "han", "limit": 5}).json()
    assert [a["username"] for a in found] == ["hana_kim", "haneul"]
    assert client.get("/api/v1/accounts/search", {"q": ""}).json() == []


def test_public_timeline_needs_no_token(api_client):
    tweet = TweetFactory()
    assert [s["id"] for s in api_client.get("/api/v1/timelines/public").json()] == [str(tweet.pk)]
    assert api_client.get("/api/v1/timelines/public?remote=true").json() == []
    assert api_client.get("/api/v1/timelines/home").status_code == 401


def test_search_followers_and_reblogged_by_leave_out_blocked_accounts(oauth_client):
    viewer, blocker = UserFactory(username="viewer"), UserFactory(username="blocker")
    bystander = UserFactory(username="bystander")
    tweet = TweetFactory(author=bystander)
    follow(blocker, bystander)
    tweet_services.repost_create(user=blocker, tweet=tweet)
    tweet_services.block_create(blocker=blocker, blocked=viewer)
    client = oauth_client(viewer)
    assert client.get("/api/v1/accounts/search", {"q": "blocker"}).json() == []
    assert client.get(f"/api/v1/accounts/{bystander.pk}/followers").json() == []
    assert client.get(f"/api/v1/statuses/{tweet.pk}/reblogged_by").json() == []
    by = oauth_client(bystander).get(f"/api/v1/statuses/{tweet.pk}/reblogged_by").json()
    assert [account["id"] for account in by] == [str(blocker.pk)]
