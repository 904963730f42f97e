"""RFC 9728 — OAuth 2.0 Protected Resource Metadata.

https://www.rfc-editor.org/rfc/rfc9728 §2 (document), §3.1 (well-known URL: the
resource's path is appended after ``/.well-known/oauth-protected-resource``), §5.1
(the ``resource_metadata`` parameter of ``WWW-Authenticate``). The document tells a
client which authorization server issues tokens for ``/mcp`` and which scopes exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mctltg.oauth.scopes import SCOPES

__all__ = ["WELL_KNOWN", "metadata_paths", "metadata_url", "protected_resource_metadata"]

WELL_KNOWN = "/.well-known/oauth-protected-resource"


def metadata_url(resource: str) -> str:
    """The metadata URL for ``resource`` (§3.1): well-known prefix, then the resource path."""
    parts = urlsplit(resource)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN}{path}"


def metadata_paths(resource: str) -> tuple[str, ...]:
    """Paths that serve the document: the §3.1 path, and the bare prefix older clients try."""
    path = urlsplit(resource).path.rstrip("/")
    return (WELL_KNOWN + path, WELL_KNOWN) if path else (WELL_KNOWN,)


def protected_resource_metadata(*, resource: str, issuer: str, resource_name: str) -> dict[str, Any]:
    """The metadata document (§2) for ``resource``, issued for by ``issuer``."""
    return {
        "resource": resource,
        "authorization_servers": [issuer],
        "scopes_supported": list(SCOPES),
        "bearer_methods_supported": ["header"],
        "resource_name": resource_name,
    }
