"""RFC 7009 — OAuth 2.0 Token Revocation.

https://www.rfc-editor.org/rfc/rfc7009 §2.1 (request: ``token``, optional
``token_type_hint``), §2.2 (an unknown or already invalid token is answered 200, so
revocation reveals nothing), §2.2.1 (``unsupported_token_type``). Revoking either
kind of token ends the whole grant behind it: its refresh family and every access
token it issued. Only the client the token was issued to may revoke it (§2.1: the
server verifies that the token was issued to the requesting client); another
client's request is answered 200 like an unknown token and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mctltg.crypto import sha256_hex
from mctltg.oauth.errors import OAuthError

if TYPE_CHECKING:
    from mctltg.oauth.rfc9068 import AccessTokenCodec
    from mctltg.storage import OAuthStore

__all__ = ["RevocationRequest", "parse_revocation", "revoke"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationRequest:
    token: str
    client_id: str
    hint: str | None


def parse_revocation(form: Mapping[str, str]) -> RevocationRequest:
    """Validate a revocation request (§2.1).

    Raises:
        OAuthError: no token was given, or the hint is not one we know.
    """
    token = form.get("token")
    if not token:
        raise OAuthError("invalid_request", "token is required.")
    hint = form.get("token_type_hint")
    if hint not in (None, "access_token", "refresh_token"):
        raise OAuthError("unsupported_token_type", "token_type_hint must be access_token or refresh_token.")
    client_id = form.get("client_id")
    if not client_id:
        raise OAuthError(
            "invalid_client", "client_id is required: a token is revoked only by its own client.", status=401
        )
    return RevocationRequest(token=token, client_id=client_id, hint=hint)


async def revoke(
    request: RevocationRequest, *, codec: AccessTokenCodec, store: OAuthStore, audience: str
) -> None:
    """Revoke the grant behind the token; an unknown token is ignored (§2.2)."""
    claims = codec.verify(request.token, audience=audience, check_expiry=False)
    if claims is not None:
        await store.revoke_access(claims.jti, request.client_id)
        return
    await store.revoke_refresh(sha256_hex(request.token), request.client_id)
