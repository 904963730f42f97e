"""Scheduled messages: read a chat's queue and delete from it.

Scheduling itself is ``send_message(schedule_at=...)``: the very same send gate and
ledger, Telegram keeps the message and sends it at that time. ``schedule_at`` is read
in ``schedule_at.py`` and refused up front when Telegram would refuse it: a
time in the past (or too close to now to arrive before it), or more than 365 days ahead.
``delete_scheduled_messages`` cancels queued messages behind the same gate, with a
closed gate a preview and an ``idempotency_key`` that never deletes twice.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field

from mctltg.accounts.scheduled_deletes import ScheduledDeletion
from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import MESSAGES_READ, MESSAGES_SEND
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, new_nonce
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, Hints, tool
from mctltg.tools.messages import ReadOut
from mctltg.tools.render_messages import render_messages
from mctltg.tools.send_tools import validate_key
from mctltg.tools.validate import bounded_int

__all__ = ["delete_scheduled_messages", "get_scheduled_messages"]

MAX_IDS: Final = 100
#: Cancelling a queued message cannot be undone, but cancelling twice is cancelling once.
DELETE: Final = Hints(read_only=False, destructive=True, idempotent=True, open_world=True)


def _ids(values: list[int]) -> tuple[int, ...]:
    if not isinstance(values, list) or not values:
        raise InvalidInput("ids", "give 1-100 scheduled message ids from get_scheduled_messages")
    if len(values) > MAX_IDS:
        raise InvalidInput("ids", f"at most {MAX_IDS} ids per call; got {len(values)}")
    return tuple(sorted({bounded_int("ids", v, 1, 2**31 - 1) for v in values}))


class ScheduledOut(ReadOut):
    pass


class DeleteScheduledOut(BaseModel):
    status: Literal["deleted", "draft", "unverified"]
    mode: Literal["send", "draft"]
    peer: str
    deleted: list[int] | None = Field(default=None, description="ids Telegram deleted")
    not_found: list[int] | None = Field(default=None, description="ids not in the queue (already gone)")
    ids: list[int] | None = Field(default=None, description="what would be deleted (drafts only)")
    dry_reason: str | None = None
    dry_reason_code: str | None = None
    hint: str | None = None
    notice: str | None = None
    idempotency_key: str | None = None
    replayed: bool | None = None


@tool(MESSAGES_READ, title="List scheduled Telegram messages", hints=READ_ONLY, output=ScheduledOut)
async def get_scheduled_messages(
    ctx: ToolContext, peer: Annotated[str, Field(description="Chat id as list_dialogs gives it")]
) -> dict[str, Any]:
    """Messages queued in a chat to be sent later; each `date` is when it will be sent."""
    ref = parse_peer(peer)
    account = await ctx.account()
    found = await account.scheduled(ref)
    nonce = new_nonce()
    return {"notice": NOTICE.format(nonce=nonce), **render_messages(found, nonce)}


def render_deletion(outcome: ScheduledDeletion) -> dict[str, Any]:
    out: dict[str, Any] = {"peer": outcome.peer, "status": outcome.status}
    if outcome.status == "draft":
        gate = outcome.gate
        assert gate is not None
        out |= {"mode": "draft", "ids": list(outcome.ids), "notice": "Preview: nothing was deleted."}
        out |= {"dry_reason": gate.reason, "dry_reason_code": gate.code}
        if gate.hint:
            out["hint"] = gate.hint
    else:
        out["mode"] = "send"
        if outcome.status == "deleted":
            out["deleted"] = list(outcome.deleted)
            missing = sorted(set(outcome.ids) - set(outcome.deleted))
            if missing:
                out["not_found"] = missing
        else:
            out["notice"] = "Telegram's answer never arrived: check get_scheduled_messages before retrying."
    if outcome.idempotency_key is not None:
        out["idempotency_key"] = outcome.idempotency_key
    if outcome.replayed:
        out["replayed"] = True
    return out


@tool(
    MESSAGES_SEND,
    title="Delete scheduled Telegram messages",
    hints=DELETE,
    output=DeleteScheduledOut,
    enforce_scope=False,
    needs="sending",
)
async def delete_scheduled_messages(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id as list_dialogs gives it")],
    ids: Annotated[list[int], Field(description="1-100 ids from get_scheduled_messages")],
    idempotency_key: Annotated[str | None, Field(description="A retry with it never deletes twice")] = None,
) -> dict[str, Any]:
    """Cancel queued messages (send gate; if closed, a preview with `dry_reason`)."""
    sending = ctx.deps.sending
    assert sending is not None
    ref, wanted, key = parse_peer(peer), _ids(ids), validate_key(idempotency_key)
    await ctx.note_account()
    outcome = await sending.delete_scheduled(
        identity_id=ctx.identity_id,
        has_send_scope=ctx.holds(MESSAGES_SEND),
        allow_send=ctx.deps.allow_send,
        ref=ref,
        ids=wanted,
        key=key,
        account=ctx.account_choice,
    )
    return render_deletion(outcome)
