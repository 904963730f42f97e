"""RFC 8414 — OAuth 2.0 Authorization Server Metadata.

https://www.rfc-editor.org/rfc/rfc8414 §2 (fields) and §3 (served at
``/.well-known/oauth-authorization-server``; ``issuer`` must equal the URL the
document was fetched from, minus the well-known part). RFC 9207's
``authorization_response_iss_parameter_supported`` tells clients to expect and check
``iss`` on the redirect back.
"""

from __future__ import annotations

from typing import Any, Final

from mctltg.oauth.scopes import SCOPES

__all__ = ["AUTHORIZE_PATH", "REGISTER_PATH", "REVOKE_PATH", "TOKEN_PATH", "WELL_KNOWN", "server_metadata"]

WELL_KNOWN: Final = "/.well-known/oauth-authorization-server"
AUTHORIZE_PATH: Final = "/oauth/authorize"
TOKEN_PATH: Final = "/oauth/token"
REGISTER_PATH: Final = "/oauth/register"
REVOKE_PATH: Final = "/oauth/revoke"


def server_metadata(issuer: str, *, client_id_metadata_documents: bool = True) -> dict[str, Any]:
    """The metadata document for ``issuer`` (the server's PUBLIC_BASE_URL).

    ``client_id_metadata_documents``: https client ids are fetched as their metadata
    (``cimd.py``); advertised together with the ``none`` token endpoint auth method, which
    some clients need to see before they choose CIMD over registration.
    """
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "registration_endpoint": issuer + REGISTER_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": client_id_metadata_documents,
    }
