"""Letterheads: a PNG or JPEG recognised by its content, small in bytes and in pixels.

A compressed image can be tiny on disk and huge once decoded (12,000 x 12,000 pixels of one colour is a few
hundred kilobytes as a PNG and over half a gigabyte as pixels), and the renderer decodes it whole. So the
pixel count is checked on upload, from the image's header alone: Pillow's `Image.open` reads the header and
leaves the pixel data undecoded.
"""

import io
import warnings

from PIL import Image, UnidentifiedImageError

from consultation.errors import ValidationFailed

LETTERHEAD_MAX_BYTES = 1024 * 1024
# Ten megapixels: a full A4 page at 300 dpi is 8.7; decoded as RGBA it is 40 MB in the renderer.
LETTERHEAD_MAX_PIXELS = 10_000_000
# Checked by content (the file's first bytes), never by its name or the type a client claims.
LETTERHEAD_SIGNATURES = {b"\x89PNG\r\n\x1a\n": ("image/png", "PNG"), b"\xff\xd8\xff": ("image/jpeg", "JPEG")}


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"file": [message]})


def letterhead_type(content: bytes) -> str:
    """The image's media type; 422 for anything but a readable PNG or JPEG of at most 1 MB and 10 megapixels."""
    if len(content) > LETTERHEAD_MAX_BYTES:
        raise _refuse("The letterhead may be at most 1 MB.")
    for signature, (media_type, pillow_format) in LETTERHEAD_SIGNATURES.items():
        if content.startswith(signature):
            width, height = _dimensions(content, pillow_format)
            if width * height > LETTERHEAD_MAX_PIXELS:
                raise _refuse(
                    f"The letterhead is {width:,} x {height:,} pixels; it may have at most "
                    f"{LETTERHEAD_MAX_PIXELS:,} pixels (for example 4,000 x 2,500). Scale it down and upload it again."
                )
            return media_type
    raise _refuse("The letterhead must be a PNG or JPEG image (checked by its content).")


def _dimensions(content: bytes, pillow_format: str) -> tuple[int, int]:
    """Width and height from the header, without decoding the pixels."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (or past twice its own limit, raises) about large images; our limit is lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
                return image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise _refuse("The letterhead could not be read as an image; save it again as a PNG or JPEG.") from None
