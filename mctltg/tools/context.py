"""Per-call context: who the caller is, and what the tools may use.

``ToolDeps`` is built once by the composition root and reaches each call through the
SDK's typed lifespan (``MCPServer(lifespan=...)``, read from the SDK ``Context``); the
``@tool`` decorator turns it and the caller into the ``ToolContext`` a tool receives.
The caller comes from the SDK's auth context (a verified access token) or, in operator
mode (``AUTH_MODE=local-dev`` / ``AUTH_REQUIRED=false``, loopback only), is the fixed
operator identity. Identities are cached by the directory, so a warm call reads nothing
from the database; scopes are never cached (they come from the token of each call).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp_types import CallToolResult, ContentBlock, TextContent

from mctltg.accounts import (
    OPERATOR_SUBJECT,
    AccessAdmin,
    AccountDirectory,
    AuditTrail,
    MediaLinks,
    Sending,
    TelegramAccount,
)
from mctltg.errors import AccountError, PermissionDenied
from mctltg.oauth.scopes import SCOPES
from mctltg.telegram.model import PeerRef
from mctltg.tools.media_budget import MediaBudget, default_budget

if TYPE_CHECKING:
    from mctltg.accounts.admin import UserAdmin, WorkerIssuer
    from mctltg.observability.metrics import Metrics
    from mctltg.tools.media_payload import SendMediaLimits

__all__ = ["Caller", "Reply", "ToolContext", "ToolDeps", "current_caller", "success"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolDeps:
    """What tools may use; built once by the composition root."""

    directory: AccountDirectory
    operator_mode: bool
    sandbox: bool
    allow_send: bool
    allow_mark_read: bool = False
    #: Gated, idempotent sends and pins; the sending tools register only when present.
    sending: Sending | None = None
    #: Where every tool call leaves its audit row; None writes none (unit tests of other tools).
    audit: AuditTrail | None = None
    #: ``MCP_TOOL_FILTER``: "all", or "read-only" (only tools with readOnlyHint=true exist).
    tool_filter: str = "all"
    #: ``SHOW_SEND_PREVIEW_TOOL``: list send_message (as a draft-only tool) to tokens without the send scope.
    show_send_preview: bool = False
    #: Admin decisions about Telegram access (``set_telegram_access``); the tool registers only when present.
    access: AccessAdmin | None = None
    #: Where tool calls are counted and timed (``/metrics``); None counts nothing (unit tests).
    metrics: Metrics | None = None
    #: ``PUBLIC_BASE_URL``: where this server's own links point (``fetch``'s URL of a private message).
    public_url: str = "http://localhost"
    #: Mints capability links for files ``get_media`` cannot inline; None with ``MEDIA_LINKS=false``.
    media_links: MediaLinks | None = None
    #: How much media one result may carry (``MEDIA_*`` settings).
    media: MediaBudget = field(default_factory=default_budget)
    #: The admin tools over other identities (``tools/admin.py``); they register only when present.
    admin: UserAdmin | None = None
    #: Worker tokens (``mint_worker_token``); present only on a server that issues tokens.
    workers: WorkerIssuer | None = None
    #: ``send_media``'s caps and fetch policy; the tool registers only when present.
    media_send: SendMediaLimits | None = None
    #: The scopes a person's tier allows, by subject: ``tools/list`` shows those tools (a call whose
    #: token lacks the scope gets the step-up challenge first); None lists by the token's scopes.
    allowed_scopes: Callable[[str], Awaitable[frozenset[str]]] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """The identity behind one tool call, with the scopes its token carries."""

    identity_id: int
    subject: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        """Raise ``PermissionDenied`` naming the scope unless the caller holds it."""
        if not self.scopes:
            raise PermissionDenied(
                "Your Telegram account is not approved on this server yet, so your sign-in carries no "
                "Telegram access; ask the server's operator to approve you, then sign in again.",
                scope=scope,
            )
        if scope not in self.scopes:
            raise PermissionDenied(
                f"This tool needs the {scope} scope, which your access token does not carry; "
                "reconnect the client and grant it.",
                scope=scope,
            )


async def current_caller(deps: ToolDeps) -> Caller:
    """The caller of the tool call being served (cached identity; scopes from this call's token)."""
    token = get_access_token()
    if token is None:
        if not deps.operator_mode:
            raise PermissionDenied("This call carries no access token; sign in again.")
        operator = await deps.directory.operator()
        return Caller(identity_id=operator.id, subject=OPERATOR_SUBJECT, scopes=frozenset(SCOPES))
    subject = token.subject or token.client_id
    signed_in = await deps.directory.signed_in(subject)
    if signed_in is None:
        raise PermissionDenied("The identity this access token names no longer exists; sign in again.")
    return Caller(identity_id=signed_in.id, subject=subject, scopes=frozenset(token.scopes))


@dataclass(frozen=True, slots=True)
class Reply:
    """A payload plus content blocks that follow its JSON text (images, embedded text, links)."""

    payload: dict[str, Any]
    blocks: tuple[ContentBlock, ...] = ()


def success(payload: dict[str, Any] | Reply, deps: ToolDeps) -> CallToolResult:
    """A successful result: the same JSON as text and as ``structuredContent``, then any blocks."""
    reply = payload if isinstance(payload, Reply) else Reply(payload)
    body = {**reply.payload, "sandbox": True} if deps.sandbox else reply.payload
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    content: list[ContentBlock] = [TextContent(type="text", text=text), *reply.blocks]
    return CallToolResult(content=content, structured_content=body)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolContext:
    """What one tool call gets: the services and, unless the call is anonymous, its caller.

    ``account_choice`` is the call's ``account`` argument (a label or id; None: the
    default account), which the ``@tool`` decorator takes off every Telegram tool's
    arguments; ``used`` collects the ids of the accounts the call resolved, and ``named``
    the chat a tool without a ``peer`` argument found in another one (``fetch``'s ``id``),
    both for the call's audit row (a per-call record, so mutable by design).
    """

    deps: ToolDeps
    caller: Caller | None
    account_choice: str | None = None
    used: list[int] = field(default_factory=list)
    named: list[PeerRef] = field(default_factory=list)

    @property
    def identity_id(self) -> int:
        """The caller's identity (tools that allow anonymous calls check ``caller`` first)."""
        assert self.caller is not None, "an anonymous call has no identity"
        return self.caller.identity_id

    def holds(self, scope: str) -> bool:
        """Whether the caller's token carries ``scope``."""
        return self.caller is not None and scope in self.caller.scopes

    async def account(self) -> TelegramAccount:
        """The caller's Telegram account this call names (``account``), or their default; ready to call.

        Raises:
            UnknownAccount: ``account`` names no account of the caller's.
            NoAccount, AccountRevoked: the caller has no usable account.
        """
        row = await self.deps.directory.account_of(self.identity_id, self.account_choice)
        self.used.append(row.id)
        return await self.deps.directory.use(row)

    async def note_account(self) -> None:
        """Record the account a gated write goes out from, for the call's audit row.

        Gated writes resolve their account inside ``Sending`` (an identity without one
        gets a preview, not an error); this only names it for the audit, so an account
        that cannot serve is left for ``Sending`` to report. An ``account`` that is not
        the caller's is refused here already (``UnknownAccount``).
        """
        if self.caller is None:
            return
        with contextlib.suppress(AccountError):
            await self.account_id()

    async def account_id(self) -> int:
        """The id of the account ``account()`` serves this call with (for per-account rules).

        Cached after the first call of an account; never calls Telegram.

        Raises:
            UnknownAccount, NoAccount, AccountRevoked: as ``account()``.
        """
        row = await self.deps.directory.account_of(self.identity_id, self.account_choice)
        self.used.append(row.id)
        return row.id
