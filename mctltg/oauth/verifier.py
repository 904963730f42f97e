"""The MCP SDK's ``TokenVerifier`` over this server's access tokens.

The SDK's bearer middleware calls :meth:`AccessTokenVerifier.verify_token` for every
``/mcp`` request that carries a token. A token passes only if it is an HS256 JWT we
signed, for our issuer and for the ``/mcp`` resource (``aud``), unexpired, and its
grant has not been revoked (replayed code or refresh token, revocation endpoint).
Anything else is None, and the SDK answers 401 ``invalid_token``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.auth.provider import AccessToken, TokenVerifier

if TYPE_CHECKING:
    from mctltg.oauth.server import AuthorizationServer

__all__ = ["AccessTokenVerifier"]


class AccessTokenVerifier(TokenVerifier):
    """Verifies bearer tokens against the authorization server that minted them."""

    def __init__(self, server: AuthorizationServer) -> None:
        self._server = server

    async def verify_token(self, token: str) -> AccessToken | None:
        claims = await self._server.verify_access(token)
        if claims is None:
            return None
        return AccessToken(
            token=token,
            client_id=claims.client_id,
            scopes=list(claims.scopes),
            expires_at=claims.expires_at,
            resource=claims.audience,
            subject=claims.subject,
            claims={"iss": claims.issuer, "jti": claims.jti},
        )
