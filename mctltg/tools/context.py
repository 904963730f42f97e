"""Per-call context: who the caller is, and what the tools may use.

The caller comes from the SDK's auth context (a verified access token) or, in
operator mode (``AUTH_MODE=local-dev`` / ``AUTH_REQUIRED=false``, loopback only),
is the fixed operator identity. Tools receive ``ToolDeps`` by closure from
``build_mcp_server``: there is no module-level state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mcp.server.auth.middleware.auth_context import get_access_token

from mctltg.accounts import AccountDirectory
from mctltg.errors import PermissionDenied

__all__ = ["OPERATOR_SUBJECT", "SCOPES", "Caller", "ToolDeps", "current_caller"]

OPERATOR_SUBJECT: Final = "operator"

#: Every scope the server knows, in the order they widen access.
SCOPES: Final = (
    "telegram:dialogs:read",
    "telegram:messages:read",
    "telegram:messages:send",
    "telegram:messages:pin",
    "account:manage",
    "admin:users",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolDeps:
    """What tools may use; built once by the composition root."""

    directory: AccountDirectory
    operator_mode: bool
    sandbox: bool
    allow_send: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """The identity behind one tool call, with the scopes its token carries."""

    identity_id: int
    subject: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        """Raise ``PermissionDenied`` naming the scope unless the caller holds it."""
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
    identity = await deps.directory.identity(subject)
    return Caller(identity_id=identity.id, subject=subject, scopes=frozenset(token.scopes))
