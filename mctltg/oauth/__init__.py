"""mctltg's own OAuth 2.1 authorization server, framework-free, one module per RFC.

The web layer adapts it to HTTP (``web/oauth_endpoints.py``); the MCP SDK uses
:class:`AccessTokenVerifier` as its resource-server check.
"""

from mctltg.oauth.errors import AuthorizeError as AuthorizeError
from mctltg.oauth.errors import OAuthError as OAuthError
from mctltg.oauth.oidc import OidcClient as OidcClient
from mctltg.oauth.oidc import OidcConfig as OidcConfig
from mctltg.oauth.oidc import OidcError as OidcError
from mctltg.oauth.oidc import OidcUnavailable as OidcUnavailable
from mctltg.oauth.oidc import SignedIn as SignedIn
from mctltg.oauth.oidc import issuer_subject as issuer_subject
from mctltg.oauth.rfc6750 import require_bearer as require_bearer
from mctltg.oauth.rfc9068 import AccessTokenCodec as AccessTokenCodec
from mctltg.oauth.scopes import SCOPES as SCOPES
from mctltg.oauth.server import AuthorizationServer as AuthorizationServer
from mctltg.oauth.server import ConsentView as ConsentView
from mctltg.oauth.server import PendingSignIn as PendingSignIn
from mctltg.oauth.server import ServerConfig as ServerConfig
from mctltg.oauth.tiers import Access as Access
from mctltg.oauth.tiers import Tier as Tier
from mctltg.oauth.tiers import TierPolicy as TierPolicy
from mctltg.oauth.verifier import AccessTokenVerifier as AccessTokenVerifier

__all__ = [
    "SCOPES",
    "Access",
    "AccessTokenCodec",
    "AccessTokenVerifier",
    "AuthorizationServer",
    "AuthorizeError",
    "ConsentView",
    "OAuthError",
    "OidcClient",
    "OidcConfig",
    "OidcError",
    "OidcUnavailable",
    "PendingSignIn",
    "ServerConfig",
    "SignedIn",
    "Tier",
    "TierPolicy",
    "issuer_subject",
    "require_bearer",
]
