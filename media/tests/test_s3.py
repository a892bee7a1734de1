"""Media on S3, through boto3 and django-storages, against a real S3-protocol server on loopback.

Every upload, replacement, deletion and URL below goes over HTTP to moto's standalone server; the
tests read the stored objects back from the bucket to check what was really written.
"""

import io
import json
import re
import urllib.request
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import s3_storage_settings
from core.testing import API, free_port, upload
from core.testing.images import GPS_IFD, image_bytes, jpeg_with_metadata
from media.models import MediaFile

pytestmark = pytest.mark.django_db


def bucket_keys(client, bucket) -> set[str]:
    listing = client.list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_upload_is_stored_in_the_bucket_reencoded_stripped_and_with_headers(
    s3_bucket, auth_client, user
):
    s3, bucket = s3_bucket
    response = upload(auth_client(user), jpeg_with_metadata(300, 120))
    assert response.status_code == 201
    media = MediaFile.objects.get()
    assert bucket_keys(s3, bucket) == {media.file, media.preview}

    stored = s3.get_object(Bucket=bucket, Key=media.file)
    assert stored["ContentType"] == "image/jpeg"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    content = stored["Body"].read()
    image = Image.open(io.BytesIO(content))
    assert image.size == (120, 300)  # orientation applied
    assert GPS_IFD not in image.getexif() and len(image.getexif()) == 0
    assert b"SecretCam" not in content
    preview = Image.open(io.BytesIO(s3.get_object(Bucket=bucket, Key=media.preview)["Body"].read()))
    assert max(preview.size) <= 400

    # The bucket is private: URLs are pre-signed, and they work.
    url = response.json()["url"]
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as fetched:
        assert fetched.read() == content


def test_avatar_replacement_and_deletion_remove_objects_from_the_bucket(
    s3_bucket, auth_client, user, django_capture_on_commit_callbacks
):
    s3, bucket = s3_bucket
    client = auth_client(user)
    put = {"format": "multipart"}
    client.put(
        f"{API}/accounts/me/avatar",
        {"file": SimpleUploadedFile("a.jpg", jpeg_with_metadata())},
        **put,
    )
    first = MediaFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            f"{API}/accounts/me/avatar",
            {"file": SimpleUploadedFile("b.png", image_bytes("PNG"))},
            **put,
        )
    assert response.status_code == 200
    second = MediaFile.objects.get()
    assert bucket_keys(s3, bucket) == {second.file, second.preview}
    assert first.file not in bucket_keys(s3, bucket)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{API}/accounts/me/avatar").status_code == 204
    assert bucket_keys(s3, bucket) == set()


def test_deleting_a_tweet_deletes_its_objects_from_the_bucket(
    s3_bucket, auth_client, user, django_capture_on_commit_callbacks
):
    s3, bucket = s3_bucket
    client = auth_client(user)
    media_id = upload(
        client, image_bytes("PNG", name="holiday.jpg", content_type="image/jpeg")
    ).json()["id"]
    tweet = client.post(
        f"{API}/tweets", {"text": "pic", "media_ids": [media_id]}, format="json"
    ).json()
    assert len(bucket_keys(s3, bucket)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.delete(f"{API}/tweets/{tweet['id']}")
    assert bucket_keys(s3, bucket) == set()


def test_unreachable_store_is_503_and_changes_nothing_while_the_rest_works(
    settings, auth_client, user
):
    dead_endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings(dead_endpoint, "x")}
    client = auth_client(user)

    response = upload(client, image_bytes("PNG"))
    assert response.status_code == 503
    assert "storage is unavailable" in response.json()["detail"]
    assert response["Retry-After"]
    assert not MediaFile.objects.exists()

    avatar = client.put(
        f"{API}/accounts/me/avatar",
        {"file": SimpleUploadedFile("a.png", image_bytes("PNG"))},
        format="multipart",
    )
    assert avatar.status_code == 503
    user.refresh_from_db()
    assert user.avatar is None

    assert client.post(f"{API}/tweets", {"text": "still up"}, format="json").status_code == 201
    assert client.get(f"{API}/timelines/home").status_code == 200


def test_public_bucket_with_custom_domain_gets_plain_urls(s3_bucket, settings, auth_client, user):
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "querystring_auth": False,
        "custom_domain": "cdn.minitter.example",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    body = upload(auth_client(user), image_bytes("PNG")).json()
    assert re.fullmatch(r"https://cdn\.minitter\.example/\d{4}/\d\d/[0-9a-f]{32}\.png", body["url"])
    assert "X-Amz-Signature" not in body["url"]


def compose_bucket_policy(bucket: str) -> str:
    """The bucket policy docker-compose.yml sets (objects readable by key, no listing)."""
    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    policy = re.search(r"echo '(\{.*\})' > /tmp/read-objects.json", compose).group(1)
    return json.dumps(json.loads(policy)).replace(
        "arn:aws:s3:::minitter/", f"arn:aws:s3:::{bucket}/"
    )


def test_public_address_with_a_path_serves_pictures_without_credentials(
    s3_server, s3_bucket, settings, auth_client, user
):
    """What docker-compose.yml sets up: the app writes through one address, browsers read the
    public bucket through another (S3_CUSTOM_DOMAIN=host:port/bucket, S3_URL_PROTOCOL=http:)."""
    s3, bucket = s3_bucket
    s3.put_bucket_policy(Bucket=bucket, Policy=compose_bucket_policy(bucket))
    public_host = s3_server.removeprefix("http://")
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "querystring_auth": False,
        "custom_domain": f"{public_host}/{bucket}",
        "url_protocol": "http:",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    body = upload(auth_client(user), jpeg_with_metadata()).json()
    assert body["url"].startswith(f"http://{public_host}/{bucket}/")
    for url in (body["url"], body["preview_url"]):
        with urllib.request.urlopen(url, timeout=10) as fetched:  # no signature, no credentials
            assert fetched.headers["Content-Type"] == "image/jpeg"
