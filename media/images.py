"""Image checks and re-encoding with Pillow, within a memory budget.

The content decides, never the file name or the client's content type. An upload is accepted when
Pillow identifies it as JPEG, PNG, GIF or WebP, its declared size is within ``MEDIA_MAX_PIXELS``
(checked from the header, before any pixel is decoded: image bombs stop here), and it decodes
completely (truncated files are refused). The stored image is re-encoded from pixels only, so
EXIF (GPS, camera), XMP and text chunks are dropped; the EXIF orientation is applied first.

Memory: a decoded image takes 3-4 bytes per pixel, whatever the size of the file (a 116 KB PNG of
6300x6300 pixels is 160 MB of pixels). JPEG is decoded already scaled down (libjpeg's 1/2, 1/4,
1/8 steps, Pillow's ``draft``) to the smallest size that still covers ``MEDIA_MAX_SIDE``; PNG, GIF
and WebP cannot be, so they are refused above ``MEDIA_MAX_DECODED_PIXELS``. Stored images are at
most ``MEDIA_MAX_SIDE`` pixels on their long side, and no full-size copy is made on the way.

Images with transparency are stored as PNG. Opaque ones as JPEG, except when they come from a
lossless format (PNG, GIF, WebP) and PNG is smaller: screenshots and drawings stay sharp and small,
photos get JPEG. A JPEG upload is never re-encoded as PNG (that is always larger).
"""

import contextlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# What Pillow calls a JPEG: a JPEG with a multi-picture segment (stereo cameras, phones' depth
# and gain maps) opens as "MPO", and is a JPEG in every way that matters here.
JPEG_FORMATS = {"JPEG", "MPO"}
# The most scans a JPEG may have. A progressive JPEG has about ten; libjpeg decodes every scan
# over the whole image, and a scan can be 16 bytes: a 150 KB file of thousands of them held a
# worker's CPU for half a minute. (An APP segment's thumbnail has scans of its own: counted too.)
MAX_JPEG_SCANS = 100
_JPEG_SCAN_START = b"\xff\xda"
PREVIEW_LONG_SIDE = 400


@dataclass(frozen=True)
class EncodedImage:
    content: bytes
    preview: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _invalid(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _open_checked(upload) -> Image.Image:
    """The upload opened as an image, its size checked. Pillow reads a copy of the file (at most
    ``MEDIA_MAX_UPLOAD_BYTES``, checked before): closing an image closes the file it was read
    from when it kept that file open (a GIF does, for its frames), and a request run again after
    a deadlock (``core.idempotency``) reads the upload again."""
    max_pixels = settings.MEDIA_MAX_PIXELS
    upload.seek(0)
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    except UnidentifiedImageError:
        raise _invalid("Upload a JPEG, PNG, GIF or WebP image.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(f"The image is too large: at most {max_pixels} pixels.") from None
    except (OSError, SyntaxError, ValueError):
        raise _invalid("The image could not be read.") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _invalid(f"The image is too large: at most {max_pixels} pixels.")
    max_decoded = settings.MEDIA_MAX_DECODED_PIXELS
    if image.format not in JPEG_FORMATS and width * height > max_decoded:
        raise _invalid(
            f"The image is too large: PNG, GIF and WebP images have at most {max_decoded} "
            f"pixels (JPEG: {max_pixels})."
        )
    if image.format in JPEG_FORMATS and data.count(_JPEG_SCAN_START) > MAX_JPEG_SCANS:
        raise _invalid(f"The JPEG has too many scans: at most {MAX_JPEG_SCANS}.")
    return image


def _fitted_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down to at most ``side`` pixels on its long side (itself if smaller)."""
    width, height = size
    if max(width, height) <= side:
        return size
    ratio = side / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _fit(image: Image.Image, side: int) -> Image.Image:
    """The image scaled down to at most ``side`` pixels on its long side (itself if smaller)."""
    size = _fitted_size(image.size, side)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _decode(image: Image.Image) -> Image.Image:
    """Decode the first frame fully (a truncated file fails here), apply its orientation and
    scale it down to ``MEDIA_MAX_SIDE``."""
    side = settings.MEDIA_MAX_SIDE
    try:
        image.seek(0)
        if image.format in JPEG_FORMATS:
            # The size it will be stored at, both sides: libjpeg's scaling keeps each side at
            # least this, so a very wide or tall JPEG is scaled down too (its short side is far
            # below ``side``; asked for ``side`` by ``side`` it was decoded at full size).
            image.draft(image.mode, _fitted_size(image.size, side))
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise _invalid("The image is damaged or truncated.") from None
    # EXIF that cannot be read (the pixels are whole): the image is stored as it is, unturned.
    with contextlib.suppress(OSError, SyntaxError, ValueError, EOFError, KeyError, TypeError):
        ImageOps.exif_transpose(image, in_place=True)
    # A transparent colour (PNG's tRNS) makes the image one with alpha too: converted to RGB the
    # encoder would refuse it. Pillow turns the colour into alpha in palette, 1-bit, 8-bit grey
    # and 8-bit RGB images; in 2-, 4- and 16-bit ones it drops it, and the image stays opaque.
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha else "RGB"
    pixels = image if image.mode == mode else image.convert(mode)
    return _fit(pixels, side)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def _encode(image: Image.Image, *, try_png: bool) -> tuple[bytes, str, str]:
    """The image as PNG (transparency), or as the smaller of JPEG and, when ``try_png``, PNG."""
    if image.mode == "RGBA":
        return _png(image), "image/png", "png"
    jpeg = _jpeg(image)
    if try_png:
        png = _png(image)
        if len(png) < len(jpeg):
            return png, "image/png", "png"
    return jpeg, "image/jpeg", "jpg"


def process_image(upload) -> EncodedImage:
    """Check an uploaded image and return it re-encoded without metadata, with a preview."""
    original = _open_checked(upload)
    lossless_source = original.format not in JPEG_FORMATS
    pixels = None
    try:
        pixels = _decode(original)
    finally:
        if pixels is not original:  # decoding may have kept the very same image
            original.close()
    content, content_type, extension = _encode(pixels, try_png=lossless_source)
    preview_image = _fit(pixels, PREVIEW_LONG_SIDE)
    # The preview shares the original's key pattern and type, so it is encoded the same way.
    preview = _png(preview_image) if content_type == "image/png" else _jpeg(preview_image)
    return EncodedImage(
        content=content,
        preview=preview,
        content_type=content_type,
        extension=extension,
        width=pixels.width,
        height=pixels.height,
    )
