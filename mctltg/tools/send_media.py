"""``send_media``: send a photo, file, video, audio, voice note or animation, behind the send gate.

The file comes from an https ``url`` (fetched by the SSRF-guarded ``mctltg.outbound``) or
from ``data_base64``. The order makes every failure cheap and every retry safe:

1. arguments are checked first (kind, exactly one source, caption, ids, key); base64 is
   measured before it is decoded, then decoded — no I/O yet;
2. the write goes to ``Sending.write``: a replayed key reports the first call, and a
   closed gate is a preview (``mode: "draft"`` with ``dry_reason``) with no fetch and no
   Telegram call;
3. only with an open gate does the write's ``prepare`` fetch the URL and check that the
   bytes fit the kind (``media_payload.checked_upload``, Pillow for photos): a bad file
   is one sentence and leaves no ledger row;
4. the ledger row is written ``pending`` with its ``random_id``, the file is uploaded in
   parts and sent with ``messages.sendMedia`` under that ``random_id``, and the row is
   completed (or left ``unverified`` when Telegram's answer is lost: never resent).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Final, Literal

import trio
from pydantic import Field

from mctltg.accounts import TelegramAccount
from mctltg.accounts.writes import Write
from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import MESSAGES_SEND
from mctltg.telegram.model import ActionResult, MediaUpload, UploadKind
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import sanitize_text
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import tool
from mctltg.tools.media_payload import KINDS, Loaded, checked_upload, decode_base64, load_url
from mctltg.tools.send_tools import GENERAL_TOPIC, SEND, validate_key
from mctltg.tools.validate import bounded_int
from mctltg.tools.write_result import WriteOut, render_write, run_write

__all__ = ["CAPTION_MAX", "send_media"]

#: Telegram's caption limit for accounts without Premium.
CAPTION_MAX: Final = 1024
_ID: Final = {"minimum": 1}


def _kind(value: str) -> UploadKind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}; got {str(value)[:20]!r}")


def _caption(value: str | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("caption", "must be a string")
    if len(value.strip()) > CAPTION_MAX:
        raise InvalidInput("caption", f"must be at most {CAPTION_MAX} characters; got {len(value.strip())}")
    return sanitize_text(value, limit=CAPTION_MAX)


def _source(url: str | None, data_base64: str | None) -> None:
    if (url is None) == (data_base64 is None):
        raise InvalidInput("url", "give exactly one of url or data_base64")
    if url is not None and (not isinstance(url, str) or not url.strip().lower().startswith("https://")):
        raise InvalidInput("url", "must be an https:// URL; only https is fetched")


@tool(MESSAGES_SEND, title="Send a photo or file", hints=SEND, output=WriteOut, enforce_scope=False,
      anonymous=True, needs="media_send")  # fmt: skip
async def send_media(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id, @username or me")],
    kind: Literal["photo", "document", "video", "audio", "voice", "animation"],
    url: Annotated[str | None, Field(description="https URL of the file")] = None,
    data_base64: Annotated[str | None, Field(description="Or the file as base64")] = None,
    caption: Annotated[str | None, Field(description="Up to 1024 characters")] = None,
    file_name: str | None = None,
    reply_to: Annotated[int | None, Field(json_schema_extra=_ID)] = None,
    topic_id: Annotated[int | None, Field(json_schema_extra=_ID)] = None,
    idempotency_key: Annotated[
        str | None, Field(description="Repeat with the same key never sends twice")
    ] = None,
) -> dict[str, Any]:
    """Send a file as the user; if not allowed, returns a preview whose `dry_reason` says why."""
    limits = ctx.deps.media_send
    assert limits is not None
    ref, media_kind = parse_peer(peer), _kind(kind)
    _source(url, data_base64)
    text = _caption(caption)
    name = None if file_name is None else str(file_name)[:200]
    reply = None if reply_to is None else bounded_int("reply_to", reply_to, 1, 2**31 - 1)
    topic = None if topic_id is None else bounded_int("topic_id", topic_id, 1, 2**31 - 1)
    if reply is None and topic is not None and topic != GENERAL_TOPIC:
        reply = topic  # into a topic = a reply to its top message, as Telegram's apps send it
    key = validate_key(idempotency_key)
    decoded = None if data_base64 is None else decode_base64(data_base64, limits.cap(media_kind))
    source = url.strip() if url is not None else _digest(decoded)
    ready: list[MediaUpload] = []

    async def prepare() -> None:
        loaded: Loaded = decoded if decoded is not None else await load_url(source, limits.fetch)
        upload = await trio.to_thread.run_sync(
            lambda: checked_upload(media_kind, loaded, file_name=name, caption=text, limits=limits)
        )
        ready.append(upload)

    async def perform(account: TelegramAccount, random_id: int) -> ActionResult:
        sent = await account.send_media(ref, ready[0], reply_to=reply, random_id=random_id)
        return ActionResult(peer=sent.peer, message_ids=(sent.message_id,))

    fingerprint = "\x00".join((media_kind, source, text, name or "", str(reply or 0)))
    write = Write(
        tool="send_media",
        scope=MESSAGES_SEND,
        ref=ref,
        fingerprint=fingerprint,
        perform=perform,
        prepare=prepare,
    )
    outcome = await run_write(ctx, write, key)
    where = "the URL's file" if url is not None else "the given bytes"
    return render_write(outcome, f"send {where} as a {media_kind} to {ref}", done="sent")


def _digest(loaded: Loaded | None) -> str:
    assert loaded is not None
    return "sha256:" + hashlib.sha256(loaded.data).hexdigest()
