"""Image files for tests, made with Pillow (and by hand where Pillow would refuse)."""

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def jpeg_with_metadata(width=200, height=100, orientation=6) -> bytes:
    """A JPEG with GPS and camera EXIF and an orientation tag (6: rotate 90° clockwise)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def image_bytes(format: str, size=(64, 48), mode="RGB", **save_options) -> bytes:
    image = Image.new(mode, size, (10, 120, 200, 128)[: len(mode)] if mode != "P" else 1)
    buffer = io.BytesIO()
    image.save(buffer, format=format, **save_options)
    return buffer.getvalue()


def photo_like(format: str, size=(320, 240)) -> bytes:
    """An opaque image with smooth gradients and grain, like a photo (JPEG compresses it best)."""
    import random

    rng = random.Random(7)
    width, height = size
    pixels = bytes(
        min(255, max(0, base + rng.randint(-12, 12)))
        for y in range(height)
        for x in range(width)
        for base in (x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height))
    )
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, format=format, **_LOSSLESS.get(format, {}))
    return buffer.getvalue()


_LOSSLESS = {"WEBP": {"lossless": True}}


def animated_gif() -> bytes:
    frames = [Image.new("P", (32, 32), color) for color in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def png_bomb(side=50_000) -> bytes:
    """A small, valid PNG that decodes to side x side pixels (about 300 KB for 50,000²)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = bytes(1 + (side + 7) // 8)  # filter byte + packed pixels, all zero
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def noise_png(side=200) -> bytes:
    """A PNG that does not compress (random pixels): about 3 * side^2 bytes."""
    import os

    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
