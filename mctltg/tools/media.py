"""``get_media``: let the model see a message's photo, read its text file, or hear its voice note.

A remote server cannot hand a client a file path, so everything comes back over MCP:

* photos, static stickers, images sent as files (and, with ``mode: thumbnail``, a video's,
  animation's or file's thumbnail) as an ``image`` block, downscaled and re-encoded by
  Pillow (``tools/images.py``) to the ``MEDIA_IMAGE_*`` budget; only the smallest stored
  size that reaches the wanted side is downloaded;
* small text-like documents as an embedded text resource, sanitized and wrapped like
  message text;
* voice notes and round videos with ``mode: transcript`` as Telegram's own transcription;
* everything else (audio, video, large or binary files) only as a download link:
  :func:`_link_result` decides that.

``media_blocks.images_for_page`` serves ``get_messages(with_images=true)`` the same way.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from mcp_types import ContentBlock, EmbeddedResource, TextResourceContents
from pydantic import BaseModel, Field

from mctltg.errors import InvalidInput, PermissionDenied, TelegramRpcError
from mctltg.oauth.scopes import MESSAGES_READ
from mctltg.telegram.model import MediaContent, MediaInfo, PeerRef
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, new_nonce, sanitize_text, wrap
from mctltg.tools.context import Reply, ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.images import NotAnImage
from mctltg.tools.media_blocks import fitted, image_block, limits_for
from mctltg.tools.messages import MAX_MESSAGE_ID, MediaOut
from mctltg.tools.render_messages import render_media
from mctltg.tools.validate import bounded_int

__all__ = ["GetMediaOut", "get_media"]

_NO_FILE_KINDS: Final = frozenset({"poll", "location", "contact", "webpage", "dice"})
_TRANSCRIBABLE: Final = frozenset({"voice", "video_note"})
TRANSCRIPT_REFUSALS: Final = {
    "PREMIUM_ACCOUNT_REQUIRED": (
        "This Telegram account cannot transcribe voice: that needs Telegram Premium, and its free "
        "transcriptions for this week are used up."
    ),
    "TRANSCRIPTION_FAILED": "Telegram could not transcribe this recording (it found no speech to recognise).",
    "MSG_VOICE_MISSING": "Only voice notes and round videos can be transcribed.",
}


class GetMediaOut(BaseModel):
    notice: str
    media: MediaOut
    returned: str = Field(description="image or text: in the block after this JSON; or transcript")
    transcript: str | None = Field(default=None, description="Untrusted, in <msg-NONCE> tags")
    pending: bool | None = Field(default=None, description="Still transcribing: call again shortly")


def _size_text(media: MediaInfo) -> str:
    if not media.size:
        return ""
    return f" of {media.size / 1_000_000:.1f} MB" if media.size >= 100_000 else f" of {media.size:,} bytes"


async def _link_result(ctx: ToolContext, peer: PeerRef, message_id: int, media: MediaInfo) -> Reply:
    """The answer for a file that cannot come inline: a download link, when links are on.

    This server has no links (``MEDIA_LINKS=false``), so the answer is a one-sentence error.
    """
    del ctx, peer, message_id  # a link would be minted for exactly these
    raise PermissionDenied(
        f"This {media.type}{_size_text(media)} cannot be returned inline: files like it come only "
        "as a download link, and download links are turned off on this server."
    )


def _text_block(found: MediaContent, uri: str, nonce: str) -> EmbeddedResource | None:
    """The document as a text resource; None when its bytes are not text after all."""
    if b"\x00" in found.data:
        return None
    try:
        text = found.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    clean = sanitize_text(text, limit=max(1, len(text)))
    mime = (found.mime_type or "text/plain").split(";")[0]
    return EmbeddedResource(
        type="resource", resource=TextResourceContents(uri=uri, mime_type=mime, text=wrap(clean, nonce))
    )


def _refused(kind: str, mode: str) -> InvalidInput:
    if mode == "transcript":
        return InvalidInput("mode", f"only voice notes and round videos can be transcribed; this is a {kind}")
    if mode == "thumbnail":
        return InvalidInput("mode", f"this {kind} has no thumbnail; call again without mode")
    return InvalidInput("message_id", f"a {kind} has no file: get_messages already shows all of it")


@tool(MESSAGES_READ, title="Get a message's photo, file or voice", hints=READ_ONLY, output=GetMediaOut)
async def get_media(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id as list_dialogs gives it")],
    message_id: Annotated[int, Field(json_schema_extra={"minimum": 1})],
    mode: Annotated[
        Literal["auto", "thumbnail", "transcript"],
        Field(description="transcript: voice or round video as text"),
    ] = "auto",
) -> Reply:
    """A message's attachment: photos and stickers as images, small text files as text."""
    ref = parse_peer(peer)
    target = bounded_int("message_id", message_id, 1, MAX_MESSAGE_ID)
    if mode not in ("auto", "thumbnail", "transcript"):
        raise InvalidInput("mode", "must be auto, thumbnail or transcript")
    budget = ctx.deps.media
    account = await ctx.account()
    try:
        found = await account.media(ref, target, mode, limits_for(budget, budget.image_side))
    except TelegramRpcError as exc:
        if exc.code in TRANSCRIPT_REFUSALS:
            raise TelegramRpcError(exc.code, TRANSCRIPT_REFUSALS[exc.code]) from None
        raise
    info = found.info
    if info is None:
        raise InvalidInput(
            "message_id", "that message has no attachment; pick one whose media get_messages shows"
        )
    if found.form == "none":
        raise _refused(info.type, mode)
    if found.form == "link":
        return await _link_result(ctx, ref, target, info)
    nonce = new_nonce()
    payload: dict[str, Any] = {"notice": NOTICE.format(nonce=nonce), "media": render_media(info, nonce)}
    payload["returned"] = found.form
    blocks: list[ContentBlock] = []
    if found.form == "transcript":
        if found.pending:
            payload["pending"] = True
        if found.transcript:
            payload["transcript"] = wrap(sanitize_text(found.transcript), nonce)
    elif found.form == "text":
        block = _text_block(found, f"telegram-media:{ref}/{target}", nonce)
        if block is None:
            return await _link_result(ctx, ref, target, info)
        blocks.append(block)
    else:
        try:
            image = await fitted(found.data, side=budget.image_side, max_bytes=budget.image_max_bytes)
        except NotAnImage:
            raise InvalidInput("message_id", f"that {info.type} is not an image that can be read") from None
        blocks.append(image_block(image))
    return Reply(payload, tuple(blocks))
