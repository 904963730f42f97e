"""Per-call context: who the caller is, and what the tools may use.

The caller comes from the SDK's auth context (a verified access token) or, in
operator mode (``AUTH_MODE=local-dev`` / ``AUTH_REQUIRED=false``, loopback only),
is the fixed operator identity. Tools receive ``ToolDeps`` by closure from
``build_mcp_server``: there is no module-level state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mcp.server.auth.middleware.auth_context import get_access_token

from mctltg.accounts import AccountDirectory, Sending
from mctltg.errors import PermissionDenied
from mctltg.oauth.scopes import SCOPES
from mctltg.storage import AuditLog, OAuthStore

if TYPE_CHECKING:
    from mctltg.observability.metrics import Metrics

__all__ = ["OPERATOR_SUBJECT", "SCOPES", "Caller", "ToolDeps", "current_caller"]

OPERATOR_SUBJECT: Final = "operator"


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
    audit: AuditLog | None = None
    #: ``MCP_TOOL_FILTER``: "all", or "read-only" (only tools with readOnlyHint=true exist).
    tool_filter: str = "all"
    #: ``SHOW_SEND_PREVIEW_TOOL``: list send_message (as a draft-only tool) to tokens without the send scope.
    show_send_preview: bool = False
    #: Admin decisions about Telegram access (``set_telegram_access``); the tool registers only when present.
    access_store: OAuthStore | None = None
    #: ``TG_LOGIN_ADMINS``: operators whose access ``set_telegram_access`` may not change.
    login_admins: frozenset[int] = frozenset()
    #: Where tool calls are counted and timed (``/metrics``); None counts nothing (unit tests).
    metrics: Metrics | None = None


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
    """The caller of the tool call being served."""
    token = get_access_token()
    if token is None:
        if not deps.operator_mode:
            raise PermissionDenied("This call carries no access token; sign in again.")
        identity = await deps.directory.identity(OPERATOR_SUBJECT, display_name="Operator")
        return Caller(identity_id=identity.id, subject=OPERATOR_SUBJECT, scopes=frozenset(SCOPES))
    subject = token.subject or token.client_id
    signed_in = await deps.directory.identities.by_subject(subject)
    if signed_in is None:
        raise PermissionDenied("The identity this access token names no longer exists; sign in again.")
    return Caller(identity_id=signed_in.id, subject=subject, scopes=frozenset(token.scopes))
