"""Step-up authorization: which tool calls get the 403 ``insufficient_scope`` challenge.

MCP Authorization (2025-11-25), "Scope Challenge Handling", over RFC 6750 §3.1
(``insufficient_scope``: "The request requires higher privileges than provided by the
access token"; answered with 403 and the ``scope`` needed). A ``tools/call`` for a tool
whose scope the person's tier allows but whose token lacks is answered, before the MCP
SDK runs it, with::

    403  WWW-Authenticate: Bearer error="insufficient_scope", scope="<held + needed>",
         resource_metadata="<RFC 9728 URL>"

``scope`` names every scope the token already holds plus the one the tool needs, so a
client that requests exactly that keeps what it had (SDK clients that follow SEP-2350
union them anyway). The client then re-authorizes, and the consent page asks only for
what is new (``ConsentView.kept``).

A tool the tier does not allow is never challenged: re-authorizing could not grant it,
so the tool's own one-sentence refusal answers instead. The ASGI half (reading the
JSON-RPC body) is ``asgi/scope_challenge.py``; this half decides. A token that holds the
tool's scope is decided by its signature check alone, without a database read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mctltg.oauth.rfc6750 import bearer_challenge
from mctltg.oauth.scopes import format_scope

if TYPE_CHECKING:
    from mctltg.oauth.server import AuthorizationServer

__all__ = ["ScopeChallenge"]


class ScopeChallenge:
    """Decides the step-up challenge for one tool call (the ASGI wrapper's ``challenge``).

    Args:
        server: the authorization server that minted the tokens.
        tool_scopes: tool name → the scope a call needs, for the tools this server serves.
        resource_metadata: the RFC 9728 metadata URL the challenge names.
    """

    def __init__(
        self, server: AuthorizationServer, *, tool_scopes: Mapping[str, str], resource_metadata: str
    ) -> None:
        self._server = server
        self._tool_scopes = dict(tool_scopes)
        self._resource_metadata = resource_metadata

    async def __call__(self, authorization: str, tool: str) -> str | None:
        """The ``WWW-Authenticate`` value to answer with, or None to let the call through.

        Args:
            authorization: the request's ``Authorization`` header value.
            tool: the name the ``tools/call`` request gives.
        """
        needed = self._tool_scopes.get(tool)
        scheme, _, token = authorization.strip().partition(" ")
        if needed is None or scheme.lower() != "bearer" or not token.strip():
            return None
        server = self._server
        claims = server.codec.verify(token.strip(), audience=server.config.resource, now=server.store.clock())
        if claims is None or needed in claims.scopes:
            return None  # an invalid token is the SDK's 401; a sufficient one runs
        if not await server.store.access_token_live(claims.jti):
            return None
        if needed not in await server.allowed_scopes(claims.subject):
            return None
        return bearer_challenge(
            resource_metadata=self._resource_metadata,
            error="insufficient_scope",
            description=f"The {tool} tool needs the {needed} scope; authorize this client again to grant it.",
            scope=format_scope({*claims.scopes, needed}),
        )
