"""Helpers for the write-tool tests: signed-in callers, sandbox chats, tool servers."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

from mcp import Client
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from mctltg.app import Services, tool_deps
from mctltg.sandbox import SandboxWorld
from mctltg.tools import SCOPES, ToolDeps, build_mcp_server

SEND = "telegram:messages:send"
ALL_SCOPES = frozenset(SCOPES)


@contextlib.contextmanager
def signed_in(subject: str, scopes: frozenset[str] | set[str]) -> Iterator[None]:
    """Calls made inside carry a verified access token for ``subject`` with ``scopes``.

    The SDK's auth middleware sets this context variable for HTTP requests; the in-process
    server tasks started inside the block inherit it the same way.
    """
    token = AccessToken(token="test-token", client_id="test-client", scopes=sorted(scopes), subject=subject)
    reset = auth_context_var.set(AuthenticatedUser(token))
    try:
        yield
    finally:
        auth_context_var.reset(reset)


def deps_for(services: Services, **changes: Any) -> ToolDeps:
    return dataclasses.replace(tool_deps(services), **changes)


@contextlib.asynccontextmanager
async def connect(deps: ToolDeps) -> AsyncIterator[Client]:
    async with Client(build_mcp_server(deps)) as client:
        yield client


def texts_in(world: SandboxWorld, *, viewer: int, peer: str, text: str) -> int:
    """How many messages in the chat (as ``viewer`` sees it) carry exactly ``text``."""
    return sum(1 for message in world.history(viewer=viewer, peer=peer) if message.text == text)


SEND_REQUEST = "messages.SendMessageRequest"
