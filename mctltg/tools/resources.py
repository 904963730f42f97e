"""``telegram://chat/{peer}``: a chat's recent messages as a resource a person can attach.

Clients that offer resources (Claude Desktop's attach menu, MCP Inspector) list the
template, complete ``peer`` from the person's dialogs (``completion.py``) and read the
URI; the content is what ``get_messages`` would return for the newest
:data:`RECENT` messages (JSON: sanitized, texts wrapped as untrusted, the ``notice``
first). The read is checked and audited like a tool call (``reader.reading``).
"""

from __future__ import annotations

import json
from typing import Any, Final

from mcp.server.mcpserver import MCPServer

from mctltg.errors import MctltgError
from mctltg.oauth.scopes import MESSAGES_READ
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, new_nonce
from mctltg.tools.context import ToolDeps
from mctltg.tools.reader import as_jsonrpc_error, reading
from mctltg.tools.render_messages import render_messages

__all__ = ["CHAT_TEMPLATE", "RECENT", "install_resources"]

CHAT_TEMPLATE: Final = "telegram://chat/{peer}"
RECENT: Final = 50


def install_resources(server: MCPServer[Any], deps: ToolDeps) -> None:
    """Add the chat resource template to ``server``."""

    async def chat(peer: str) -> str:
        try:
            ref = parse_peer(peer)
        except MctltgError as exc:
            raise as_jsonrpc_error(exc) from None
        async with reading(deps, "resource:chat", scope=MESSAGES_READ, peer=str(ref)) as account:
            page = await account.history(ref, limit=RECENT)
        nonce = new_nonce()
        payload = {"notice": NOTICE.format(nonce=nonce), **render_messages(page.messages, nonce)}
        if deps.sandbox:
            payload["sandbox"] = True  # as on every tool result of a sandbox server
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))

    server.resource(
        CHAT_TEMPLATE,
        name="chat",
        title="Telegram chat",
        description=f"A Telegram chat's newest {RECENT} messages (untrusted content).",
        mime_type="application/json",
    )(chat)
