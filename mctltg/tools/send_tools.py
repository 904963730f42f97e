"""Write tools behind the send gate, and the tools that explain and record it.

``send_message`` previews by default: unless every gate condition holds it returns a
successful draft (``mode: "draft"``) naming the first condition that failed, and no
Telegram call is made. There is no argument that forces a real send; a draft's notice
points at ``save_draft``, the write that needs none of the gate's conditions. With
``schedule_at`` Telegram queues the message and sends it then, behind the same gate.
``pin_message`` is a ``Write`` like the message actions: a closed gate is a preview there
too. ``get_my_send_status`` explains the gate with the very same function;
``set_send_consent`` is the owner's own switch; ``get_my_audit_log`` shows a person
their own audit rows (and is itself not audited).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field

from mctltg.accounts import AuditEntry, SendOutcome, TelegramAccount
from mctltg.accounts.writes import Write
from mctltg.errors import AccountError, InvalidInput
from mctltg.oauth.scopes import ACCOUNT_MANAGE, MESSAGES_PIN, MESSAGES_SEND
from mctltg.telegram.model import ActionResult
from mctltg.telegram.peers import parse_peer
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import LOCAL_WRITE, READ_LOCAL, Hints, tool
from mctltg.tools.render import rfc3339
from mctltg.tools.schedule_at import parse_schedule_at
from mctltg.tools.validate import bounded_int
from mctltg.tools.write_result import WriteOut, render_write, run_write

__all__ = [
    "get_my_audit_log",
    "get_my_send_status",
    "pin_message",
    "render_audit_entry",
    "render_send",
    "send_message",
    "set_send_consent",
    "validate_key",
]

TEXT_MAX: Final = 4096
KEY_MAX: Final = 128
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_CURSOR = re.compile(r"[1-9][0-9]{0,18}")
_ID: Final = {"minimum": 1}
#: A forum's "General" topic: writing there is writing with no reply.
GENERAL_TOPIC: Final = 1
#: A real send cannot be taken back, and repeating one sends again.
SEND: Final = Hints(read_only=False, destructive=True, idempotent=False, open_world=True)
#: A pin is visible to every member, but pinning twice is pinning once.
PIN: Final = Hints(read_only=False, destructive=True, idempotent=True, open_world=True)
DRAFT_NOTICE: Final = "Draft preview: this message was NOT sent."
#: What a closed gate offers instead: the safe write that needs none of its conditions.
SAVE_DRAFT_HINT: Final = "save_draft can put this text in the chat's own Telegram draft for the user to send."
UNVERIFIED_NOTICE: Final = (
    "Telegram may have delivered this message, but its answer never arrived. It was NOT retried "
    "and will not be: look at the chat before sending anything again."
)


class SendOut(BaseModel):
    sent: bool | None = Field(description="true: delivered; false: not sent (draft); null: unknown")
    mode: Literal["send", "draft"]
    status: Literal["sent", "draft", "sent_unverified"]
    peer: str
    text: str | None = Field(default=None, description="the previewed text (drafts only)")
    message_id: int | None = None
    date: str | None = Field(default=None, description="RFC 3339, UTC, as Telegram dated the message")
    dry_reason: str | None = Field(default=None, description="why this is only a draft")
    dry_reason_code: (
        Literal["identity", "server_allow_send", "scope", "send_enabled", "rate_limit"] | None
    ) = None
    hint: str | None = None
    notice: str | None = None
    idempotency_key: str | None = None
    replayed: bool | None = Field(
        default=None, description="true: this reports an earlier call with the same key"
    )
    scheduled: bool | None = Field(default=None, description="true: Telegram sends it at `date`")


class SendStatusOut(BaseModel):
    can_send: bool
    reason: str | None = Field(default=None, description="the first condition that blocks real sends")
    hint: str | None = None
    server_allow_send: bool
    has_send_scope: bool
    send_enabled: bool
    connected: bool


class ConsentOut(BaseModel):
    send_enabled: bool
    ok: bool


class AuditEntryOut(BaseModel):
    time: str = Field(description="RFC 3339, UTC")
    tool: str
    peer: str | None = Field(default=None, description="peer type and id only (usernames are not kept)")
    outcome: str = Field(description="ok, draft, rate_limited or error:<kind>")


class AuditLogOut(BaseModel):
    entries: list[AuditEntryOut]
    count: int
    next_before: str | None = Field(default=None, description="pass as `before` for older entries")


def _text(value: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput("text", "must be a string")
    text = value.strip()
    if not text:
        raise InvalidInput("text", "is empty; give the message to send (1-4096 characters)")
    if len(text) > TEXT_MAX:
        raise InvalidInput("text", f"must be at most {TEXT_MAX} characters after trimming; got {len(text)}")
    return text


def validate_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise InvalidInput(
            "idempotency_key", f"must be 1-{KEY_MAX} characters of letters, digits, '.', '_', ':' or '-'"
        )
    return value


#: The text and key checks, for the other write tools.
text_argument = _text
key_argument = validate_key


def _message_id(field: str, value: int | None) -> int | None:
    if value is None:
        return None
    return bounded_int(field, value, 1, 2**31 - 1)


def render_send(outcome: SendOutcome, text: str) -> dict[str, Any]:
    """The ``send_message`` result for an outcome (pure)."""
    out: dict[str, Any] = {"peer": outcome.peer, "status": outcome.status}
    if outcome.status == "draft":
        gate = outcome.gate
        assert gate is not None
        out |= {"sent": False, "mode": "draft", "text": text, "notice": f"{DRAFT_NOTICE} {SAVE_DRAFT_HINT}"}
        out |= {"dry_reason": gate.reason, "dry_reason_code": gate.code}
        if gate.hint:
            out["hint"] = gate.hint
    elif outcome.status == "sent":
        out |= {"sent": True, "mode": "send", "message_id": outcome.message_id, "date": rfc3339(outcome.date)}
    else:
        out |= {"sent": None, "mode": "send", "notice": UNVERIFIED_NOTICE}
    if outcome.idempotency_key is not None:
        out["idempotency_key"] = outcome.idempotency_key
    if outcome.replayed:
        out["replayed"] = True
    return out


async def shared_filter(ctx: ToolContext) -> Callable[[str], bool] | None:
    """The caller's sharing rule as a filter (None: every chat shared, or no account)."""
    try:
        return await (await ctx.account()).shared_filter()
    except AccountError:
        return None


def hide_unshared(admits: Callable[[str], bool] | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit rows without the chat of an unshared chat, or of a call refused as not shared.

    Both, so that a refused call's chat does not show whether it exists (an excluded chat
    is hidden by the rule, an unknown one by its refusal).
    """
    if admits is None:
        return rows
    for row in rows:
        peer = row.get("peer")
        if peer is not None and (row["outcome"] == "error:not_shared" or (":" in peer and not admits(peer))):
            del row["peer"]
    return rows


def render_audit_entry(entry: AuditEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"time": rfc3339(entry.ts), "tool": entry.tool, "outcome": entry.outcome}
    if entry.peer_type is not None:
        out["peer"] = entry.peer_type if entry.peer_id is None else f"{entry.peer_type}:{entry.peer_id}"
    return out


@tool(
    MESSAGES_SEND,
    title="Send a Telegram message",
    hints=SEND,
    output=SendOut,
    enforce_scope=False,
    anonymous=True,
    needs="sending",
    meta={"mctltg/preview_without_scope": True},
)
async def send_message(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id, @username or me")],
    text: Annotated[str, Field(description="1-4096 characters")],
    reply_to: Annotated[int | None, Field(json_schema_extra=_ID)] = None,
    idempotency_key: Annotated[
        str | None, Field(description="Repeat with the same key never sends twice")
    ] = None,
    schedule_at: Annotated[str | None, Field(description="RFC 3339: Telegram sends it then")] = None,
    topic_id: Annotated[int | None, Field(description="From list_topics", json_schema_extra=_ID)] = None,
) -> dict[str, Any]:
    """Send a text as the user; if not allowed, returns a draft whose `dry_reason` says why.

    On `sent_unverified` do NOT send again.
    """
    sending = ctx.deps.sending
    assert sending is not None
    ref, clean = parse_peer(peer), _text(text)
    reply, key = _message_id("reply_to", reply_to), validate_key(idempotency_key)
    when = parse_schedule_at(schedule_at)
    topic = _message_id("topic_id", topic_id)
    if reply is None and topic is not None and topic != GENERAL_TOPIC:
        reply = topic  # into a topic = a reply to its top message, as Telegram's apps send it
    await ctx.note_account()
    outcome = await sending.send(
        identity_id=None if ctx.caller is None else ctx.caller.identity_id,
        has_send_scope=ctx.holds(MESSAGES_SEND),
        allow_send=ctx.deps.allow_send,
        ref=ref,
        text=clean,
        reply_to=reply,
        key=key,
        schedule_at=when,
        account=ctx.account_choice,
    )
    out = render_send(outcome, clean)
    if when is not None and outcome.status != "draft":
        out["scheduled"] = True
    return out


@tool(MESSAGES_PIN, title="Pin a Telegram message", hints=PIN, output=WriteOut, enforce_scope=False,
      anonymous=True, needs="sending")  # fmt: skip
async def pin_message(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id as list_dialogs gives it")],
    message_id: Annotated[int, Field(json_schema_extra=_ID)],
    unpin: Annotated[bool, Field(description="true unpins")] = False,
    silent: Annotated[bool | None, Field(description="No notification")] = None,
    idempotency_key: Annotated[
        str | None, Field(description="Repeat with the same key never acts twice")
    ] = None,
) -> dict[str, Any]:
    """Pin or unpin a message; if not allowed, returns a preview with `dry_reason`."""
    ref = parse_peer(peer)
    target = bounded_int("message_id", message_id, 1, 2**31 - 1)
    undo, quiet, key = bool(unpin), bool(silent), validate_key(idempotency_key)

    async def perform(account: TelegramAccount, _random_id: int) -> ActionResult:
        pinned = await account.pin(ref, target, unpin=undo, silent=quiet)
        return ActionResult(peer=pinned.peer, message_ids=(pinned.message_id,))

    write = Write(
        tool="pin_message", scope=MESSAGES_PIN, ref=ref, fingerprint=f"{target}\x00{undo}", perform=perform
    )
    outcome = await run_write(ctx, write, key)
    verb = "unpin" if undo else "pin"
    return render_write(outcome, f"{verb} message {target} in {ref}", done="unpinned" if undo else "pinned")


@tool(None, title="Explain the send gate", hints=READ_LOCAL, output=SendStatusOut, needs="sending",
      per_account=True)  # fmt: skip
async def get_my_send_status(ctx: ToolContext) -> dict[str, Any]:
    """Whether send_message would really send for you, and why not (per-peer limit aside)."""
    sending = ctx.deps.sending
    assert sending is not None
    report = await sending.status(
        identity_id=ctx.identity_id,
        has_send_scope=ctx.holds(MESSAGES_SEND),
        allow_send=ctx.deps.allow_send,
        account=ctx.account_choice,
    )
    out: dict[str, Any] = {
        "can_send": report.decision.open,
        "server_allow_send": report.server_allow_send,
        "has_send_scope": report.has_send_scope,
        "send_enabled": report.send_enabled,
        "connected": report.connected,
    }
    if report.decision.reason:
        out["reason"] = report.decision.reason
    if report.decision.hint:
        out["hint"] = report.decision.hint
    return out


@tool(ACCOUNT_MANAGE, title="Turn real sends on or off", hints=LOCAL_WRITE, output=ConsentOut,
      needs="sending", per_account=True)  # fmt: skip
async def set_send_consent(
    ctx: ToolContext, enabled: Annotated[bool, Field(description="true allows real sends")]
) -> dict[str, Any]:
    """Turn real sends from your account on or off (off: drafts only; new accounts start off)."""
    row = await ctx.deps.directory.set_send_consent(ctx.identity_id, bool(enabled), ctx.account_choice)
    ctx.used.append(row.id)
    return {"send_enabled": bool(enabled), "ok": True}


@tool(None, title="My audit log", hints=READ_LOCAL, output=AuditLogOut, audited=False, needs="audit")
async def get_my_audit_log(
    ctx: ToolContext,
    limit: Annotated[int, Field(description="1-500", json_schema_extra={"minimum": 1, "maximum": 500})] = 50,
    before: Annotated[str | None, Field(description="next_before of the previous page")] = None,
) -> dict[str, Any]:
    """Your audit log: tool calls made as you, newest first (never message text)."""
    audit = ctx.deps.audit
    assert audit is not None
    count = bounded_int("limit", limit, 1, 500)
    cursor: int | None = None
    if before is not None:
        if not isinstance(before, str) or not _CURSOR.fullmatch(before.strip()):
            raise InvalidInput("before", "must be the next_before value of a previous page")
        cursor = int(before.strip())
    entries = await audit.page(ctx.identity_id, limit=count, before=cursor)
    rendered = hide_unshared(await shared_filter(ctx), [render_audit_entry(e) for e in entries])
    out: dict[str, Any] = {"entries": rendered, "count": len(entries)}
    if len(entries) == count:
        out["next_before"] = str(entries[-1].id)
    return out
