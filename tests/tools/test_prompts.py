"""The slash-command prompts and their chat completion, over the SDK client and the sandbox."""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, INVALID_REQUEST, PromptReference, TextContent

from mctltg.app import Services
from mctltg.sandbox import DemoWorld
from tests.harness.mcp_client import connect, deps_for, signed_in, tools_for


def _text(result: object) -> str:
    messages = result.messages  # type: ignore[attr-defined]
    assert len(messages) == 1
    assert messages[0].role == "user"
    content = messages[0].content
    assert isinstance(content, TextContent)
    return content.text


async def test_a_prompts_chat_argument_completes_from_the_persons_dialogs_and_typing_narrows_it(
    services: Services, demo: DemoWorld
) -> None:
    ref = PromptReference(type="ref/prompt", name="summarize_chat")
    async with tools_for(services, demo.me) as client:
        assert client.server_capabilities.completions is not None
        everything = await client.complete(ref, {"name": "chat", "value": ""})
        narrowed = await client.complete(ref, {"name": "chat", "value": "scie"})
        other_argument = await client.complete(ref, {"name": "since", "value": ""})
    assert len(everything.completion.values) > 3
    assert narrowed.completion.values == [f"Science Weekly (channel:{demo.channel})"]
    assert set(narrowed.completion.values) < set(everything.completion.values)
    assert other_argument.completion.values == []


async def test_a_completed_chat_renders_the_summary_prompt_with_that_chat(
    services: Services, demo: DemoWorld
) -> None:
    ref = PromptReference(type="ref/prompt", name="summarize_chat")
    async with tools_for(services, demo.me) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        choice = (await client.complete(ref, {"name": "chat", "value": "Math"})).completion.values[0]
        rendered = await client.get_prompt("summarize_chat", {"chat": choice, "since": "2024-05-01"})
    assert set(listed) == {"catch_up", "summarize_chat", "draft_reply"}
    assert [a.name for a in listed["summarize_chat"].arguments or []] == ["chat", "since"]
    text = _text(rendered)
    assert f"“Math Circle” (channel:{demo.supergroup})" in text
    assert "since 2024-05-01T00:00:00Z" in text
    assert f'get_messages (peer "channel:{demo.supergroup}"' in text
    assert "untrusted" in text


async def test_the_draft_reply_prompt_embeds_the_conversation_wrapped_as_untrusted(
    services: Services, demo: DemoWorld
) -> None:
    mary = f"user:{demo.contacts[1]}"
    async with tools_for(services, demo.me) as client:
        page = await client.call_tool("get_messages", {"peer": mary, "limit": 1})
        assert page.structured_content is not None
        newest = page.structured_content["messages"][0]["id"]
        rendered = await client.get_prompt("draft_reply", {"chat": mary, "message_id": str(newest)})
        catch_up = await client.get_prompt("catch_up", {})
    text = _text(rendered)
    target = next(line for line in text.splitlines() if line.startswith("» "))
    assert "Bring the diagram" in target
    assert "<msg-" in target
    assert f'save_draft (peer "{mary}", reply_to {newest})' in text
    assert "Do not send it" in text
    assert "get_unread_messages" in _text(catch_up)


async def test_a_bad_prompt_argument_is_one_sentence_under_invalid_params(
    services: Services, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        with pytest.raises(MCPError) as bad_date:
            await client.get_prompt("summarize_chat", {"chat": "me", "since": "last week"})
        with pytest.raises(MCPError) as bad_chat:
            await client.get_prompt("draft_reply", {"chat": "Nobody", "message_id": "3"})
    assert bad_date.value.code == INVALID_PARAMS
    assert bad_date.value.message.startswith("since: 'last week' is not a date")
    assert bad_chat.value.code == INVALID_PARAMS
    assert bad_chat.value.message.startswith("chat: 'Nobody' is not a peer")


async def test_a_caller_without_a_token_or_without_scopes_gets_no_dialogs_and_no_prompt(
    services: Services, demo: DemoWorld
) -> None:
    ref = PromptReference(type="ref/prompt", name="catch_up")
    async with tools_for(services, demo.me):
        pass  # the operator's account exists; these callers are not the operator
    deps = deps_for(services, operator_mode=False)
    async with connect(deps) as anonymous:
        nothing = await anonymous.complete(ref, {"name": "chat", "value": ""})
        with pytest.raises(MCPError) as refused:
            await anonymous.get_prompt("catch_up", {})
    with signed_in("operator", set()):
        async with connect(deps) as unscoped:
            still_nothing = await unscoped.complete(ref, {"name": "chat", "value": ""})
            with pytest.raises(MCPError) as unscoped_refused:
                await unscoped.get_prompt("summarize_chat", {"chat": "me", "since": "2024-01-01"})
    assert nothing.completion.values == []
    assert still_nothing.completion.values == []
    assert refused.value.code == INVALID_REQUEST
    assert "access token" in refused.value.message
    assert unscoped_refused.value.code == INVALID_REQUEST
