"""Memory per upload is bounded: small files that decode to huge images are refused or decoded
scaled down, stored images have a largest side, and a process decodes one image at a time."""

import io
import threading

import pytest
from PIL import Image, JpegImagePlugin

from core.testing import upload
from core.testing.images import image_bytes, jpeg_with_metadata, png_bomb
from media import services
from media.models import MediaFile

pytestmark = pytest.mark.django_db


def test_small_png_that_decodes_to_160_mb_is_refused(auth_client, user, _media_in_tmp_dir):
    content = png_bomb(side=6300)  # a few hundred bytes, 6300x6300 pixels declared
    response = upload(auth_client(user), content, name="flat.png")
    assert response.status_code == 400
    assert (
        "PNG, GIF and WebP images have at most 16777216 pixels"
        in (response.json()["fields"]["file"][0]["detail"])
    )
    assert not MediaFile.objects.exists()


def test_large_jpeg_is_decoded_scaled_down_and_stored_within_the_largest_side(
    auth_client, user, settings, monkeypatch
):
    settings.MEDIA_MAX_SIDE = 100
    drafts = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy_draft(image, mode, size):
        result = real_draft(image, mode, size)
        drafts.append((size, image.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy_draft)
    content = image_bytes("JPEG", size=(1000, 800))
    response = upload(auth_client(user), content, name="big.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"]) == (100, 80)
    # libjpeg decoded it at 1/8 scale (125x100), never at 1000x800.
    assert drafts and drafts[0][1] == (125, 100)


def test_orientation_is_still_applied_when_scaled_down(auth_client, user, settings):
    settings.MEDIA_MAX_SIDE = 50
    response = upload(auth_client(user), jpeg_with_metadata(200, 100), name="turned.jpg")
    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (25, 50)


def test_upload_waits_for_a_free_processing_slot_then_is_503(
    auth_client, user, settings, monkeypatch, _media_in_tmp_dir
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 0
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(services, "_slots", slots)
    slots.acquire()  # another upload is being processed in this process
    try:
        response = upload(auth_client(user), image_bytes("PNG"), name="a.png")
    finally:
        slots.release()
    assert response.status_code == 503
    assert response.json()["code"] == "media_busy"
    assert int(response["Retry-After"]) > 0
    assert not MediaFile.objects.exists()
    assert upload(auth_client(user), image_bytes("PNG"), name="a.png").status_code == 201


def _progressive_jpeg_with_scans_repeated(times: int) -> bytes:
    """A progressive JPEG whose last scan (16 or so bytes) is repeated ``times`` times: each
    copy makes libjpeg go over the whole image again."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    last_scan = data.rindex(b"\xff\xda")
    scan = data[last_scan:-2]  # up to the end-of-image marker
    return data[:-2] + scan * times + data[-2:]


def test_a_jpeg_of_very_many_scans_is_refused_before_it_is_decoded(auth_client, user):
    response = upload(
        auth_client(user), _progressive_jpeg_with_scans_repeated(200), name="scans.jpg"
    )
    assert response.status_code == 400
    assert "too many scans" in response.json()["fields"]["file"][0]["detail"]
    assert not MediaFile.objects.exists()
    ordinary = upload(auth_client(user), _progressive_jpeg_with_scans_repeated(0), name="ok.jpg")
    assert ordinary.status_code == 201


def test_a_very_wide_jpeg_is_decoded_scaled_down_too(auth_client, user, settings, monkeypatch):
    settings.MEDIA_MAX_SIDE = 100
    decoded = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy_draft(image, mode, size):
        result = real_draft(image, mode, size)
        decoded.append(image.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy_draft)
    content = image_bytes("JPEG", size=(4000, 80))
    response = upload(auth_client(user), content, name="wide.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (100, 2)
    assert decoded == [(500, 10)]  # 1/8 scale, where asking for 100 by 100 decoded all of it


def test_a_jpeg_with_a_multi_picture_segment_is_a_jpeg(auth_client, user, settings):
    """Pillow opens it as MPO: it is scaled down while decoded and never stored as PNG."""
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), "navy"), Image.new("RGB", (32, 24), "red")
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    response = upload(auth_client(user), buffer.getvalue(), name="stereo.jpg")
    assert response.status_code == 201
    assert response.json()["url"].endswith(".jpg")
