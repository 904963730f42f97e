"""How much media one tool result may carry: image sides and bytes, text bytes, the waits.

The numbers come from the settings (``MEDIA_*`` rows of ``config.schema``, their only home);
``default_budget`` parses the same rows' defaults for servers built without settings (tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from mctltg.config.schema import SCHEMA

if TYPE_CHECKING:
    from mctltg.config.settings import Settings

__all__ = ["MAX_PIXELS", "PAGE_IMAGE_SIDE", "MediaBudget", "default_budget"]

#: Claude scales anything above about 1.15 megapixels down before reading it.
MAX_PIXELS: Final = 1_150_000
#: Images inlined into a page of messages are thumbnails for overview: this long side at most.
PAGE_IMAGE_SIDE: Final = 768
#: Of the call deadline, the share a transcription may spend waiting for Telegram's text.
TRANSCRIPT_WAIT_SHARE: Final = 0.6


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaBudget:
    image_side: int
    image_max_bytes: int
    source_max_bytes: int
    text_max_bytes: int
    page_images_max_bytes: int
    transcript_wait: float

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaBudget:
        return cls(
            image_side=settings.media_image_max_side,
            image_max_bytes=settings.media_image_max_bytes,
            source_max_bytes=settings.media_source_max_bytes,
            text_max_bytes=settings.media_text_max_bytes,
            page_images_max_bytes=settings.media_page_images_max_bytes,
            transcript_wait=settings.call_timeout * TRANSCRIPT_WAIT_SHARE,
        )


def default_budget() -> MediaBudget:
    """The budget the settings' defaults give."""
    value: dict[str, Any] = {row.attr: row.value(None) for row in SCHEMA}
    return MediaBudget(
        image_side=value["media_image_max_side"],
        image_max_bytes=value["media_image_max_bytes"],
        source_max_bytes=value["media_source_max_bytes"],
        text_max_bytes=value["media_text_max_bytes"],
        page_images_max_bytes=value["media_page_images_max_bytes"],
        transcript_wait=value["call_timeout"] * TRANSCRIPT_WAIT_SHARE,
    )
