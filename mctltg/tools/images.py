"""Image bytes from Telegram made fit for a model: decoded, downscaled and re-encoded by Pillow.

Every image block a tool returns passes through :func:`fit_image`: it is decoded (JPEG
with Pillow's draft mode, which lets the decoder itself scale by 1/2, 1/4 or 1/8 and is
most of the speed on a large photo), turned upright by its EXIF orientation, scaled to
fit a long side and a pixel count, flattened onto white if it has transparency, and
written as a JPEG whose quality steps down (and size after it) until the bytes fit. The
work is CPU-bound: callers run it in a worker thread (``trio.to_thread.run_sync``).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps

__all__ = ["MAX_SOURCE_PIXELS", "FittedImage", "NotAnImage", "fit_image"]

#: Images with more pixels than this are refused before decoding (a decompression bomb).
MAX_SOURCE_PIXELS: Final = 60_000_000
_QUALITIES: Final = (85, 75, 65, 50)
_SHRINK: Final = 0.75


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can read, or one too large to decode safely."""


@dataclass(frozen=True, slots=True)
class FittedImage:
    data: bytes
    mime_type: str
    width: int
    height: int


def _target(width: int, height: int, max_side: int, max_pixels: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height), math.sqrt(max_pixels / (width * height)))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _opaque(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def fit_image(data: bytes, *, max_side: int, max_pixels: int, max_bytes: int) -> FittedImage:
    """``data`` as a JPEG within ``max_side`` pixels on its long side, ``max_pixels`` and ``max_bytes``.

    Raises:
        NotAnImage: the bytes do not decode as an image, or it has too many pixels.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
            if source.width * source.height > MAX_SOURCE_PIXELS:
                raise NotAnImage("the image has too many pixels to decode safely")
            width, height = _target(source.width, source.height, max_side, max_pixels)
            source.draft("RGB", (width, height))  # JPEG: let the decoder scale down first
            image = ImageOps.exif_transpose(source)
            image.load()
    except (OSError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise NotAnImage("the file is not an image that can be read") from exc
    width, height = _target(image.width, image.height, max_side, max_pixels)
    picture = _opaque(image)
    while True:
        if picture.size != (width, height):
            picture = picture.resize((width, height), Image.Resampling.LANCZOS)
        for quality in _QUALITIES:
            encoded = _jpeg(picture, quality)
            if len(encoded) <= max_bytes:
                return FittedImage(encoded, "image/jpeg", width, height)
        if max(width, height) <= 16:
            raise NotAnImage("the image cannot be made small enough")
        width, height = max(1, int(width * _SHRINK)), max(1, int(height * _SHRINK))
