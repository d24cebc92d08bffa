"""Frames as bytes: the image type told from the bytes themselves, and the pixel limit checked before decoding."""

import io
import warnings

from PIL import Image, UnidentifiedImageError

from aoikit.errors import AoikitError

SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
"""Leading bytes of each accepted image type and the Pillow format that reads it."""
MEDIA = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"), "BMP": ("image/bmp", ".bmp"),
         "TIFF": ("image/tiff", ".tif")}  # fmt: skip
"""Each Pillow format's media type and file suffix."""


class FrameError(AoikitError):
    """A frame the service refuses, with the HTTP status that says why (409, 413, 415 or 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sniff(data: bytes) -> str:
    """The Pillow format of ``data`` by its leading bytes (PNG, JPEG, BMP or TIFF).

    Raises:
        FrameError: 415, the bytes are of no accepted image type (or empty).
    """
    for magic, kind in SIGNATURES.items():
        if data.startswith(magic):
            return kind
    raise FrameError(415, "not a PNG, JPEG, BMP or TIFF image (told from its bytes, not its name)")


def check_frame(data: bytes, max_pixels: int) -> str:
    """Sniff ``data`` and read its header; the Pillow format.

    Raises:
        FrameError: 415 for a type not accepted, 413 for more than ``max_pixels`` pixels, 422 for a header that
            cannot be read.
    """
    kind = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        raise FrameError(413, f"over the limit of {max_pixels} pixels ({exc})") from None
    except UnidentifiedImageError:
        raise FrameError(422, f"unreadable {kind} image (its header is damaged)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise FrameError(422, f"unreadable {kind} image ({exc})") from None
    if width * height > max_pixels:
        raise FrameError(413, f"{width}×{height} pixels is over the limit of {max_pixels} pixels")
    return kind
