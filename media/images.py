"""Image checks and re-encoding with Pillow.

The content decides, never the file name or the client's content type. An upload is accepted when
Pillow identifies it as JPEG, PNG, GIF or WebP, its declared size is within ``MEDIA_MAX_PIXELS``
(checked from the header, before any pixel is decoded: image bombs stop here), and it decodes
completely (truncated files are refused). The stored image is re-encoded from pixels only, so
EXIF (GPS, camera), XMP and text chunks are dropped; the EXIF orientation is applied first.

Images with transparency are stored as PNG. Opaque ones as JPEG, except when they come from a
lossless format (PNG, GIF, WebP) and PNG is smaller: screenshots and drawings stay sharp and small,
photos get JPEG. A JPEG upload is never re-encoded as PNG (that is always larger).
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
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
    max_pixels = settings.MEDIA_MAX_PIXELS
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=sorted(ACCEPTED_FORMATS))
    except UnidentifiedImageError:
        raise _invalid("Upload a JPEG, PNG, GIF or WebP image.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(f"The image is too large: at most {max_pixels} pixels.") from None
    except (OSError, SyntaxError, ValueError):
        raise _invalid("The image could not be read.") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _invalid(f"The image is too large: at most {max_pixels} pixels.")
    return image


def _decode(image: Image.Image) -> Image.Image:
    """Decode the first frame fully (a truncated file fails here) and apply its orientation."""
    try:
        image.seek(0)
        image.load()
        oriented = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise _invalid("The image is damaged or truncated.") from None
    has_alpha = oriented.mode in ("RGBA", "LA", "PA") or (
        oriented.mode == "P" and "transparency" in oriented.info
    )
    return oriented.convert("RGBA" if has_alpha else "RGB")


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
    with _open_checked(upload) as original:
        lossless_source = original.format != "JPEG"
        pixels = _decode(original)
    content, content_type, extension = _encode(pixels, try_png=lossless_source)
    preview_image = pixels.copy()
    preview_image.thumbnail((PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE), Image.Resampling.LANCZOS)
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
