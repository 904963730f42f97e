"""Protected resource metadata (RFC 9728): where a client finds it for the MCP endpoint."""

from __future__ import annotations

from mctltg.oauth.rfc9728 import metadata_paths, metadata_url

MCP = "https://tg.example.com/mcp"


def test_protected_resource_metadata_lives_under_the_resource_path() -> None:
    assert metadata_url(MCP) == "https://tg.example.com/.well-known/oauth-protected-resource/mcp"
    assert metadata_paths(MCP) == (
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    )
