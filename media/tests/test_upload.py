"""Uploading images: what is accepted, how it is stored, and every bad file that stores nothing."""

import io
import re
import time

import pytest
from PIL import Image

from core.testing import API
from core.testing import upload as upload_file
from core.testing.images import (
    GPS_IFD,
    PDF_BYTES,
    animated_gif,
    image_bytes,
    jpeg_with_metadata,
    noise_png,
    photo_like,
    png_bomb,
)
from media.models import MediaFile

pytestmark = pytest.mark.django_db

URL = f"{API}/media"


def upload(client, content: bytes, name="photo.jpg", content_type="image/jpeg", **fields):
    return upload_file(client, content, name=name, content_type=content_type, **fields)


def stored_files(media_root):
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


def test_jpeg_is_stored_reencoded_without_metadata_and_with_orientation_applied(
    auth_client, user, _media_in_tmp_dir
):
    response = upload(auth_client(user), jpeg_with_metadata(200, 100), description="A red box")
    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "image"
    assert (body["width"], body["height"]) == (100, 200)  # rotated by the EXIF orientation
    assert body["description"] == "A red box"
    assert re.fullmatch(r"http://testserver/media/\d{4}/\d\d/[0-9a-f]{32}\.jpg", body["url"])
    assert body["preview_url"] != body["url"]

    media = MediaFile.objects.get()
    assert media.owner == user and media.attached_at is None
    assert "photo" not in media.file  # random keys, never the client's file name
    stored = Image.open(_media_in_tmp_dir / media.file)
    assert stored.format == "JPEG"
    assert stored.size == (100, 200)
    exif = stored.getexif()
    assert len(exif) == 0 and GPS_IFD not in exif
    assert b"SecretCam" not in (_media_in_tmp_dir / media.file).read_bytes()


def test_preview_is_at_most_400_pixels_on_the_long_side(auth_client, user, _media_in_tmp_dir):
    upload(auth_client(user), image_bytes("PNG", size=(1200, 300)), name="wide.png")
    media = MediaFile.objects.get()
    assert (media.width, media.height) == (1200, 300)
    assert Image.open(_media_in_tmp_dir / media.preview).size == (400, 100)


@pytest.mark.parametrize(
    ("content", "stored_format"),
    [
        (image_bytes("PNG", mode="RGBA"), "PNG"),  # transparency kept
        (image_bytes("PNG"), "PNG"),  # flat colours: PNG is the smaller
        (photo_like("PNG"), "JPEG"),  # a photo saved as PNG: JPEG is the smaller
        (image_bytes("WEBP"), "PNG"),
        (photo_like("WEBP"), "JPEG"),
        (animated_gif(), "PNG"),  # first frame
    ],
)
def test_png_webp_and_gif_are_accepted(
    auth_client, user, _media_in_tmp_dir, content, stored_format
):
    # The declared name and content type do not matter; the content does.
    response = upload(auth_client(user), content, name="x.bin", content_type="text/plain")
    assert response.status_code == 201
    stored = Image.open(_media_in_tmp_dir / MediaFile.objects.get().file)
    assert stored.format == stored_format
    assert getattr(stored, "n_frames", 1) == 1


def png_with_transparent_colour(mode: str, colour) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (8, 8)).save(buffer, format="PNG", transparency=colour)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("mode", "colour"), [("1", 0), ("1", 1), ("I;16", 0), ("L", 0), ("RGB", (0, 0, 0))]
)
def test_a_png_with_a_transparent_colour_keeps_it_as_alpha(
    auth_client, user, _media_in_tmp_dir, mode, colour
):
    content = png_with_transparent_colour(mode, colour)
    response = upload(auth_client(user), content, name="t.png", content_type="image/png")
    assert response.status_code == 201, response.content
    stored = Image.open(_media_in_tmp_dir / MediaFile.objects.get().file)
    assert (stored.format, stored.mode) == ("PNG", "RGBA")
    transparent = colour in (0, (0, 0, 0))  # every pixel is black: transparent or opaque
    assert stored.getpixel((0, 0))[3] == (0 if transparent else 255)


def test_opaque_png_keeps_the_smaller_encoding_for_the_image_and_its_preview(
    auth_client, user, _media_in_tmp_dir
):
    screenshot = image_bytes("PNG", size=(1600, 900))
    body = upload(auth_client(user), screenshot, name="shot.png").json()
    media = MediaFile.objects.get()
    assert (media.content_type, body["url"][-4:], body["preview_url"][-4:]) == (
        "image/png",
        ".png",
        ".png",
    )
    stored = (_media_in_tmp_dir / media.file).read_bytes()
    assert len(stored) < len(image_bytes("JPEG", size=(1600, 900), quality=85))
    assert Image.open(_media_in_tmp_dir / media.preview).format == "PNG"


def test_jpeg_upload_is_never_stored_as_png(auth_client, user, _media_in_tmp_dir):
    upload(auth_client(user), image_bytes("JPEG", size=(800, 600)))
    media = MediaFile.objects.get()
    assert media.content_type == "image/jpeg"
    assert Image.open(_media_in_tmp_dir / media.preview).format == "JPEG"


def _truncated_jpeg() -> bytes:
    full = image_bytes("JPEG", size=(400, 400), quality=95)
    return full[: len(full) // 2]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, not an image", "notes.png"),
        (PDF_BYTES, "document.png"),
        (_truncated_jpeg(), "cut.jpg"),
        (image_bytes("BMP"), "bitmap.bmp"),
        (image_bytes("TIFF"), "scan.tiff"),
    ],
)
def test_files_that_are_not_acceptable_images_are_400_and_store_nothing(
    auth_client, user, _media_in_tmp_dir, content, name
):
    response = upload(auth_client(user), content, name=name, content_type="image/png")
    assert response.status_code == 400
    assert "file" in response.json()["fields"]
    assert not MediaFile.objects.exists()
    assert stored_files(_media_in_tmp_dir) == []


def test_image_bomb_is_400_and_stores_nothing(auth_client, user, _media_in_tmp_dir):
    bomb = png_bomb()
    assert len(bomb) < 1_000_000
    response = upload(auth_client(user), bomb, name="bomb.png", content_type="image/png")
    assert response.status_code == 400
    assert "too large" in response.json()["fields"]["file"][0]["detail"]
    assert not MediaFile.objects.exists()
    assert stored_files(_media_in_tmp_dir) == []


def test_pixel_limit_is_a_setting(auth_client, user, settings):
    settings.MEDIA_MAX_PIXELS = 100
    response = upload(auth_client(user), image_bytes("PNG", size=(11, 10)), name="a.png")
    assert response.status_code == 400


def test_file_over_the_size_limit_is_refused(auth_client, user, settings, _media_in_tmp_dir):
    settings.MEDIA_MAX_UPLOAD_BYTES = 1000
    response = upload(auth_client(user), noise_png(), name="a.png")
    assert response.status_code == 400
    assert "too large" in response.json()["fields"]["file"][0]["detail"]
    assert stored_files(_media_in_tmp_dir) == []


def test_body_over_the_upload_limit_is_413_before_it_is_read(auth_client, user, settings):
    settings.MINITTER_MAX_UPLOAD_BODY = 10_000
    response = upload(auth_client(user), bytes(20_000), name="big.jpg")
    assert response.status_code == 413
    assert not MediaFile.objects.exists()


def test_missing_or_empty_file_is_400(auth_client, user):
    client = auth_client(user)
    assert client.post(URL, {}, format="multipart").status_code == 400
    response = upload(client, b"", name="empty.jpg")
    assert response.status_code == 400
    assert "file" in response.json()["fields"]
    assert not MediaFile.objects.exists()


def test_description_over_1000_characters_is_400(auth_client, user):
    response = upload(auth_client(user), image_bytes("PNG"), description="x" * 1001)
    assert response.status_code == 400
    assert "description" in response.json()["fields"]
    assert not MediaFile.objects.exists()


def test_json_body_is_415(auth_client, user):
    response = auth_client(user).post(URL, {"file": "data"}, format="json")
    assert response.status_code == 415


def test_upload_needs_login(api_client):
    assert upload(api_client, image_bytes("PNG")).status_code == 401


def test_pillow_can_reopen_every_stored_image(auth_client, user, _media_in_tmp_dir):
    upload(auth_client(user), jpeg_with_metadata())
    media = MediaFile.objects.get()
    for key in (media.file, media.preview):
        Image.open(io.BytesIO((_media_in_tmp_dir / key).read_bytes())).verify()


def test_uploads_are_refused_at_once_for_a_while_after_the_store_failed(
    auth_client, user, monkeypatch
):
    monkeypatch.setattr("media.services._store_down_until", time.monotonic() + 60)
    response = upload_file(auth_client(user))
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert "Retry-After" in response


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_exif_that_cannot_be_read_leaves_the_whole_pixels_accepted(
    auth_client, user, image_format, _media_in_tmp_dir
):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 30), "olive").save(buffer, image_format, exif=b"Exif\x00\x00garbage")
    response = upload(auth_client(user), buffer.getvalue(), name=f"odd.{image_format.lower()}")
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (60, 30)
