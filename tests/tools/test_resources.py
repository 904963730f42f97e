"""``telegram://chat/{peer}``: listed, completed, read as untrusted JSON, refused without access."""

from __future__ import annotations

import json

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, ResourceTemplateReference, TextResourceContents

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld
from tests.harness.mcp_client import connect, deps_for, signed_in, tools_for, unwrap

TEMPLATE = "telegram://chat/{peer}"


async def test_a_chat_is_listed_as_a_template_completed_from_dialogs_and_read_as_its_messages(
    services: Services, demo: DemoWorld
) -> None:
    ref = ResourceTemplateReference(type="ref/resource", uri=TEMPLATE)
    async with tools_for(services, demo.me) as client:
        templates = (await client.list_resource_templates()).resource_templates
        completed = await client.complete(ref, {"name": "peer", "value": "Analytical"})
        peer = completed.completion.values[0]
        read = await client.read_resource(f"telegram://chat/{peer}")
        escaped = await client.read_resource(f"telegram://chat/{peer.replace(':', '%3A')}")
    assert [(t.uri_template, t.mime_type) for t in templates] == [(TEMPLATE, "application/json")]
    assert peer == f"chat:{demo.group}"
    content = read.contents[0]
    assert isinstance(content, TextResourceContents)
    payload = json.loads(content.text)
    assert "untrusted" in payload["notice"]
    assert payload["peer"] == peer
    assert payload["sandbox"] is True
    texts = [unwrap(m["text"]) for m in payload["messages"]]
    assert "Agreed, the table should be in the agenda." in texts
    again = escaped.contents[0]
    assert isinstance(again, TextResourceContents)
    assert json.loads(again.text)["peer"] == peer


async def test_reading_a_chat_needs_a_scoped_caller_and_a_real_peer(
    services: Services, demo: DemoWorld
) -> None:
    ref = ResourceTemplateReference(type="ref/resource", uri=TEMPLATE)
    async with tools_for(services, demo.me) as client:
        with pytest.raises(MCPError) as malformed:
            await client.read_resource("telegram://chat/nobody")
    with signed_in("operator", {"telegram:dialogs:read"}):
        async with connect(deps_for(services, operator_mode=False)) as unscoped:
            listed = await unscoped.complete(ref, {"name": "peer", "value": ""})
            with pytest.raises(MCPError) as refused:
                await unscoped.read_resource(f"telegram://chat/chat:{demo.group}")
    assert malformed.value.code == INVALID_PARAMS
    assert "is not a peer" in malformed.value.message
    assert listed.completion.values  # dialogs may be listed with the dialogs scope …
    assert "telegram:messages:read" in refused.value.message  # … but reading messages needs this one


async def test_reading_a_chat_or_rendering_a_prompt_leaves_an_audit_row_like_a_tool_call(
    services: Services, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    async with connect(deps_for(services)) as client:
        await client.read_resource(f"telegram://chat/chat:{demo.group}")
        await client.get_prompt("summarize_chat", {"chat": f"chat:{demo.group}", "since": "2024-05-01"})
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("draft_reply", {"chat": f"chat:{demo.group}", "message_id": "999999"})
    operator = await services.directory.operator()
    rows = await services.audit.page(operator.id, limit=10)
    assert [(r.tool, r.outcome, r.peer_type, r.peer_id) for r in reversed(rows)] == [
        ("resource:chat", "ok", "chat", demo.group),
        ("prompt:summarize_chat", "ok", "chat", demo.group),
        ("prompt:draft_reply", "error:telegram_error", "chat", demo.group),
    ]
    assert missing.value.code == INVALID_PARAMS
    assert (
        missing.value.message == "There is no message with that id in this chat; take ids from get_messages."
    )
