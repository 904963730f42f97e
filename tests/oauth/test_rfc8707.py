"""Resource indicators (RFC 8707): one resource, this server's, compared in canonical form."""

from __future__ import annotations

import pytest

from mctltg.oauth.errors import OAuthError
from mctltg.oauth.rfc8707 import canonical_resource, resolve_resource

MCP = "https://tg.example.com/mcp"


def test_resources_compare_in_canonical_form() -> None:
    assert canonical_resource("HTTPS://TG.example.com:443/mcp/") == MCP
    assert resolve_resource([], MCP) == MCP
    assert resolve_resource(["https://tg.example.com/mcp/"], MCP) == MCP
    for bad in (["https://other.example/mcp"], [MCP, MCP], ["https://tg.example.com/mcp#x"]):
        with pytest.raises(OAuthError) as caught:
            resolve_resource(bad, MCP)
        assert caught.value.error == "invalid_target"
