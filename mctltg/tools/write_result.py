"""The one shape of a gated write's result, shared by every write tool but ``send_message``.

``pin_message``, ``edit_message``, ``delete_messages``, ``forward_messages`` and
``set_reaction`` run one ``Write`` through ``Sending.write`` (:func:`run_write`) and
answer with :func:`render_write`: ``done``, a ``draft`` preview whose ``would`` says
exactly what a real call would do and ``dry_reason`` why it did not happen, or
``unverified`` (never repeated).
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, Field

from mctltg.accounts.writes import Write, WriteOutcome
from mctltg.tools.context import ToolContext

__all__ = ["WriteOut", "render_write", "run_write"]

UNVERIFIED_NOTICE: Final = (
    "Telegram may have done this, but its answer never arrived. It was NOT retried and will not be: "
    "look at the chat before trying again."
)


class WriteOut(BaseModel):
    """Lean on purpose: five tools share it and tools/list must stay small."""

    mode: str = Field(description="send: really done; draft: only a preview")
    status: str = Field(description="done (pin_message: pinned, unpinned), draft or unverified")
    peer: str
    would: str | None = Field(default=None, description="drafts: exactly what a real call would do")
    message_ids: list[int] | None = Field(default=None, description="the messages that resulted")
    dry_reason: str | None = Field(default=None, description="why this is only a draft, and what to do")
    dry_reason_code: str | None = Field(default=None, description="as in send_message")
    notice: str | None = None
    replayed: bool | None = Field(default=None, description="true: reports an earlier call with this key")


def render_write(
    outcome: WriteOutcome, would: str, *, done: str = "done", text: str | None = None
) -> dict[str, Any]:
    """The result of a gated write (pure); ``would`` describes it for a preview."""
    out: dict[str, Any] = {"peer": outcome.peer}
    if outcome.status == "draft":
        gate = outcome.gate
        assert gate is not None
        reason = f"{gate.reason}. {gate.hint}" if gate.hint else gate.reason
        out |= {"mode": "draft", "status": "draft", "would": would}
        out |= {"dry_reason": reason, "dry_reason_code": gate.code}
    elif outcome.status == "done":
        out |= {"mode": "send", "status": done}
        if outcome.result is not None and outcome.result.message_ids:
            out["message_ids"] = list(outcome.result.message_ids)
    else:
        out |= {"mode": "send", "status": "unverified", "notice": UNVERIFIED_NOTICE}
    if outcome.replayed:
        out["replayed"] = True
    return out


async def run_write(ctx: ToolContext, write: Write, key: str | None) -> WriteOutcome:
    """``write`` through the one gate, for the caller (no identity: a preview)."""
    sending = ctx.deps.sending
    assert sending is not None
    await ctx.note_account()
    return await sending.write(
        identity_id=None if ctx.caller is None else ctx.caller.identity_id,
        has_scope=ctx.holds(write.scope),
        allow_send=ctx.deps.allow_send,
        write=write,
        key=key,
        account=ctx.account_choice,
    )
