"""Image blocks for tool results: the download limits, the re-encoding, the page's photos.

Shared by ``get_media`` and ``get_messages(with_images=true)`` so both fit images the same
way; Pillow's work runs in a worker thread so the server's event loop never waits on it.
"""

from __future__ import annotations

import base64

import trio
from mcp_types import ContentBlock, ImageContent

from mctltg.telegram.model import MediaLimits, Message, PeerRef
from mctltg.tools.context import ToolContext
from mctltg.tools.images import FittedImage, NotAnImage, fit_image
from mctltg.tools.media_budget import MAX_PIXELS, PAGE_IMAGE_SIDE, MediaBudget

__all__ = ["fitted", "image_block", "images_for_page", "limits_for"]

#: Below this many bytes left in a page's budget no further image is readable.
MIN_PAGE_IMAGE_BYTES = 4_000


def limits_for(budget: MediaBudget, side: int) -> MediaLimits:
    return MediaLimits(
        image_side=side,
        image_max_bytes=budget.source_max_bytes,
        text_max_bytes=budget.text_max_bytes,
        transcript_wait=budget.transcript_wait,
    )


def image_block(image: FittedImage) -> ImageContent:
    return ImageContent(
        type="image", data=base64.b64encode(image.data).decode("ascii"), mime_type=image.mime_type
    )


async def fitted(data: bytes, *, side: int, max_bytes: int) -> FittedImage:
    """``data`` re-encoded in a worker thread (Pillow holds the GIL only part of the time)."""
    return await trio.to_thread.run_sync(
        lambda: fit_image(data, max_side=side, max_pixels=MAX_PIXELS, max_bytes=max_bytes)
    )


async def images_for_page(
    ctx: ToolContext, peer: PeerRef, messages: tuple[Message, ...] | list[Message]
) -> tuple[list[int], list[ContentBlock]]:
    """The page's photos as image blocks (newest first) within ``MEDIA_PAGE_IMAGES_MAX_BYTES`` together."""
    budget = ctx.deps.media
    ids = tuple(m.id for m in messages if m.media is not None and m.media.type == "photo")
    if not ids:
        return [], []
    account = await ctx.account()
    limits = limits_for(budget, PAGE_IMAGE_SIDE)
    photos = await account.photos(peer, ids, limits, total_bytes=budget.source_max_bytes)
    shown: list[int] = []
    blocks: list[ContentBlock] = []
    left = budget.page_images_max_bytes
    for message_id in sorted(photos, reverse=True):
        if left < MIN_PAGE_IMAGE_BYTES:
            break
        try:
            image = await fitted(
                photos[message_id], side=PAGE_IMAGE_SIDE, max_bytes=min(left, budget.image_max_bytes)
            )
        except NotAnImage:
            continue
        left -= len(image.data)
        shown.append(message_id)
        blocks.append(image_block(image))
    return shown, blocks
