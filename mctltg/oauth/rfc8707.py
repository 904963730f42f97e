"""RFC 8707 — Resource Indicators for OAuth 2.0.

https://www.rfc-editor.org/rfc/rfc8707 §2. The ``resource`` a client names at the
authorization and token endpoints becomes the access token's audience (``aud``), so a
token minted for this MCP server is refused anywhere else, and a request naming any
other resource is refused with ``invalid_target``. URLs are compared in canonical form:
case-insensitive scheme and host, default port dropped, no trailing slash.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mctltg.oauth.errors import OAuthError

__all__ = ["canonical_resource", "resolve_resource"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_resource(url: str) -> str:
    """``url`` in canonical form for comparison.

    Raises:
        ValueError: not an absolute http(s) URL, or it carries a fragment (§2: MUST NOT).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("a resource must be an absolute http(s) URL")
    if parts.fragment or "#" in url:
        raise ValueError("a resource must not carry a fragment")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{path}{query}"


def resolve_resource(requested: list[str], mcp_url: str) -> str:
    """The audience for a request that named ``requested`` resources (possibly none).

    Returns ``mcp_url`` itself, the one resource this server protects.

    Raises:
        OAuthError: ``invalid_target`` for more than one resource, a malformed one, or
            one that is not this server's MCP endpoint.
    """
    if not requested:
        return mcp_url
    if len(requested) > 1:
        raise OAuthError(
            "invalid_target", "This server protects one resource; send a single resource parameter."
        )
    try:
        given = canonical_resource(requested[0])
    except ValueError as exc:
        raise OAuthError("invalid_target", f"The resource parameter is malformed: {exc}.") from None
    if given != canonical_resource(mcp_url):
        raise OAuthError("invalid_target", f"This server issues tokens only for the resource {mcp_url}.")
    return mcp_url
