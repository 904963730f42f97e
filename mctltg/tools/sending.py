"""Write tools behind the send gate, and the tools that explain and record it.

``send_message`` previews by default: unless every gate condition holds it returns a
successful draft (``mode: "draft"``) naming the first condition that failed, and no
Telegram call is made. There is no argument that forces a real send. ``pin_message``
has no preview, so a closed gate is an error there. ``get_my_send_status`` explains the
gate with the very same function; ``set_send_consent`` is the owner's own switch;
``get_my_audit_log`` shows a person their own audit rows (and is itself not audited).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from mctltg.accounts import PIN_SCOPE, SEND_SCOPE, SendOutcome
from mctltg.errors import InvalidInput, NoAccount
from mctltg.storage import AuditEntry
from mctltg.telegram import parse_peer
from mctltg.tools.context import Caller, ToolDeps
from mctltg.tools.registry import add_tool
from mctltg.tools.render import rfc3339
from mctltg.tools.runner import run_tool, success
from mctltg.tools.validate import bounded_int
from mctltg.tools.visibility import install_tool_visibility

__all__ = ["register_sending_tools"]

CONSENT_SCOPE: Final = "account:manage"
TEXT_MAX: Final = 4096
KEY_MAX: Final = 128
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_CURSOR = re.compile(r"[1-9][0-9]{0,18}")
DRAFT_NOTICE: Final = "Draft preview: this message was NOT sent."
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
    sandbox: bool | None = None


class PinOut(BaseModel):
    status: Literal["pinned", "unpinned"]
    peer: str
    message_id: int
    sandbox: bool | None = None


class SendStatusOut(BaseModel):
    can_send: bool
    reason: str | None = Field(default=None, description="the first condition that blocks real sends")
    hint: str | None = None
    server_allow_send: bool
    has_send_scope: bool
    send_enabled: bool
    connected: bool
    sandbox: bool | None = None


class ConsentOut(BaseModel):
    send_enabled: bool
    ok: bool
    sandbox: bool | None = None


class AuditEntryOut(BaseModel):
    time: str = Field(description="RFC 3339, UTC")
    tool: str
    peer: str | None = Field(default=None, description="peer type and id only (usernames are not kept)")
    outcome: str = Field(description="ok, draft, rate_limited or error:<kind>")


class AuditLogOut(BaseModel):
    entries: list[AuditEntryOut]
    count: int
    next_before: str | None = Field(default=None, description="pass as `before` for older entries")
    sandbox: bool | None = None


def _text(value: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput("text", "must be a string")
    text = value.strip()
    if not text:
        raise InvalidInput("text", "is empty; give the message to send (1-4096 characters)")
    if len(text) > TEXT_MAX:
        raise InvalidInput("text", f"must be at most {TEXT_MAX} characters after trimming; got {len(text)}")
    return text


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise InvalidInput(
            "idempotency_key", f"must be 1-{KEY_MAX} characters of letters, digits, '.', '_', ':' or '-'"
        )
    return value


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
        out |= {"sent": False, "mode": "draft", "text": text, "notice": DRAFT_NOTICE}
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


def render_audit_entry(entry: AuditEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"time": rfc3339(entry.ts), "tool": entry.tool, "outcome": entry.outcome}
    if entry.peer_type is not None:
        out["peer"] = entry.peer_type if entry.peer_id is None else f"{entry.peer_type}:{entry.peer_id}"
    return out


def register_sending_tools(server: MCPServer, deps: ToolDeps) -> None:
    """Register the write tools (when ``deps.sending`` is set) and ``get_my_audit_log``.

    Also installs the tool-list filter (``tools/visibility.py``): scopes and
    ``MCP_TOOL_FILTER`` decide which of *all* registered tools a caller sees.
    """
    install_tool_visibility(server, deps)
    if deps.sending is not None:
        _register_send(server, deps)
        _register_pin(server, deps)
        _register_status(server, deps)
        _register_consent(server, deps)
    if deps.audit is not None:
        _register_audit_log(server, deps)


def _register_send(server: MCPServer, deps: ToolDeps) -> None:
    sending = deps.sending
    assert sending is not None

    async def send_message(
        peer: Annotated[
            str,
            Field(
                description="Recipient exactly as list_dialogs returns it: user:<id>, chat:<id>, "
                "channel:<id>, @username or me"
            ),
        ],
        text: Annotated[str, Field(description="Plain text, 1-4096 characters after trimming")],
        reply_to: Annotated[int | None, Field(description="Message id in that chat to reply to")] = None,
        idempotency_key: Annotated[
            str | None,
            Field(
                description="Your own id for this message (letters, digits, . _ : -). Repeating a call "
                "with the same key never sends twice: it returns the first result."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, SendOut]:
        """Send a text message from the user's Telegram account, or preview it.

        Real sends need: the server's ALLOW_SEND, the telegram:messages:send scope, the
        account owner's consent (set_send_consent) and the per-peer limit. Otherwise the
        result is a draft (`mode: "draft"`, nothing sent) whose `dry_reason` says what
        blocks it. If `status` is `sent_unverified`, the message may have been delivered:
        do NOT send it again.
        """

        def parse() -> tuple[Any, str, int | None, str | None]:
            return parse_peer(peer), _text(text), _message_id("reply_to", reply_to), _key(idempotency_key)

        async def body(caller: Caller) -> CallToolResult:
            ref, clean, reply, key = parse()
            outcome = await sending.send(
                identity_id=caller.identity_id,
                has_send_scope=SEND_SCOPE in caller.scopes,
                allow_send=deps.allow_send,
                ref=ref,
                text=clean,
                reply_to=reply,
                key=key,
            )
            return success(render_send(outcome, clean), deps)

        async def anonymous() -> CallToolResult:
            ref, clean, reply, key = parse()
            outcome = await sending.send(
                identity_id=None,
                has_send_scope=False,
                allow_send=deps.allow_send,
                ref=ref,
                text=clean,
                reply_to=reply,
                key=key,
            )
            return success(render_send(outcome, clean), deps)

        return await run_tool(deps, "send_message", None, body, peer=peer, anonymous=anonymous)

    add_tool(
        server,
        send_message,
        title="Send a Telegram message",
        meta={"mctltg/scope": SEND_SCOPE, "mctltg/preview_without_scope": True},
        read_only=False,
        destructive=True,
        idempotent=False,
        open_world=True,
    )


def _register_pin(server: MCPServer, deps: ToolDeps) -> None:
    sending = deps.sending
    assert sending is not None

    async def pin_message(
        peer: Annotated[str, Field(description="Chat exactly as list_dialogs returns it")],
        message_id: Annotated[
            int, Field(description="The message to pin or unpin", json_schema_extra={"minimum": 1})
        ],
        unpin: Annotated[bool, Field(description="true unpins instead")] = False,
        silent: Annotated[bool | None, Field(description="true pins without notifying members")] = None,
    ) -> Annotated[CallToolResult, PinOut]:
        """Pin (or unpin) a message in a chat.

        Needs the telegram:messages:pin scope, the server's ALLOW_SEND and the account
        owner's consent (set_send_consent); otherwise it fails and says which is missing.
        """

        async def body(caller: Caller) -> CallToolResult:
            ref = parse_peer(peer)
            target = bounded_int("message_id", message_id, 1, 2**31 - 1)
            result = await sending.pin(
                identity_id=caller.identity_id,
                has_pin_scope=PIN_SCOPE in caller.scopes,
                allow_send=deps.allow_send,
                ref=ref,
                message_id=target,
                unpin=bool(unpin),
                silent=bool(silent),
            )
            status = "unpinned" if result.unpinned else "pinned"
            return success({"status": status, "peer": result.peer, "message_id": result.message_id}, deps)

        return await run_tool(deps, "pin_message", PIN_SCOPE, body, peer=peer)

    add_tool(
        server,
        pin_message,
        title="Pin a Telegram message",
        meta={"mctltg/scope": PIN_SCOPE},
        read_only=False,
        destructive=True,
        idempotent=True,
        open_world=True,
    )


def _register_status(server: MCPServer, deps: ToolDeps) -> None:
    sending = deps.sending
    assert sending is not None

    async def get_my_send_status() -> Annotated[CallToolResult, SendStatusOut]:
        """Explain whether send_message would really send for you, and if not, why.

        Sends nothing. The per-peer limit is not included (it depends on the recipient).
        """

        async def body(caller: Caller) -> CallToolResult:
            report = await sending.status(
                identity_id=caller.identity_id,
                has_send_scope=SEND_SCOPE in caller.scopes,
                allow_send=deps.allow_send,
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
            return success(out, deps)

        return await run_tool(deps, "get_my_send_status", None, body)

    add_tool(
        server,
        get_my_send_status,
        title="Explain the send gate",
        meta={},
        read_only=True,
        destructive=False,
        idempotent=True,
        open_world=False,
    )


def _register_consent(server: MCPServer, deps: ToolDeps) -> None:
    async def set_send_consent(
        enabled: Annotated[
            bool, Field(description="true allows real sends from your account; false stops them")
        ],
    ) -> Annotated[CallToolResult, ConsentOut]:
        """Turn real sends from your own Telegram account on or off (your consent).

        While off, send_message only returns drafts. Every new account starts off.
        """

        async def body(caller: Caller) -> CallToolResult:
            row = await deps.directory.accounts.for_identity(caller.identity_id)
            if row is None or row.status != "active":
                raise NoAccount()
            await deps.directory.accounts.set_send_enabled(row.id, bool(enabled))
            return success({"send_enabled": bool(enabled), "ok": True}, deps)

        return await run_tool(deps, "set_send_consent", CONSENT_SCOPE, body)

    add_tool(
        server,
        set_send_consent,
        title="Turn real sends on or off",
        meta={"mctltg/scope": CONSENT_SCOPE},
        read_only=False,
        destructive=False,
        idempotent=True,
        open_world=False,
    )


def _register_audit_log(server: MCPServer, deps: ToolDeps) -> None:
    audit = deps.audit
    assert audit is not None

    async def get_my_audit_log(
        limit: Annotated[
            int,
            Field(
                description="How many entries, newest first (1-500)",
                json_schema_extra={"minimum": 1, "maximum": 500},
            ),
        ] = 50,
        before: Annotated[str | None, Field(description="`next_before` from the previous page")] = None,
    ) -> Annotated[CallToolResult, AuditLogOut]:
        """Your own audit log: every tool call made as you, newest first (never message text)."""

        async def body(caller: Caller) -> CallToolResult:
            count = bounded_int("limit", limit, 1, 500)
            cursor: int | None = None
            if before is not None:
                if not isinstance(before, str) or not _CURSOR.fullmatch(before.strip()):
                    raise InvalidInput("before", "must be the next_before value of a previous page")
                cursor = int(before.strip())
            entries = await audit.page(caller.identity_id, limit=count, before=cursor)
            out: dict[str, Any] = {
                "entries": [render_audit_entry(e) for e in entries],
                "count": len(entries),
            }
            if len(entries) == count:
                out["next_before"] = str(entries[-1].id)
            return success(out, deps)

        return await run_tool(deps, "get_my_audit_log", None, body, audited=False)

    add_tool(
        server,
        get_my_audit_log,
        title="My audit log",
        meta={},
        read_only=True,
        destructive=False,
        idempotent=True,
        open_world=False,
    )
