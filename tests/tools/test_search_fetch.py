"""ChatGPT's ``search`` and ``fetch`` over real MCP HTTP, Telethon and the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import trio
from mcp import Client

from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import serve_provisioned
from tests.harness.mcp_client import unwrap


def _only_json(result: object) -> dict[str, object]:
    """The one JSON text block ChatGPT reads (it ignores structuredContent)."""
    content = result.content  # type: ignore[attr-defined]
    assert len(content) == 1
    assert content[0].type == "text"
    parsed = json.loads(content[0].text)
    assert isinstance(parsed, dict)
    return parsed


async def test_search_then_fetch_returns_the_message_with_its_neighbours_over_http(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server:
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                found = _only_json(await client.call_tool("search", {"query": "Bernoulli"}))
                results = found["results"]
                assert isinstance(results, list)
                private = next(r for r in results if r["id"].startswith(f"user:{demo.contacts[1]}/"))
                fetched = _only_json(await client.call_tool("fetch", {"id": private["id"]}))
                audit = await client.call_tool("get_my_audit_log", {"limit": 1})
    assert audit.structured_content is not None
    newest = audit.structured_content["entries"][0]
    assert (newest["tool"], newest["peer"]) == ("fetch", f"user:{demo.contacts[1]}")  # named in `id`
    assert set(private) == {"id", "title", "url", "text"}
    assert "Bernoulli" in unwrap(private["text"])
    assert private["title"].startswith("Mary")
    assert ": " not in private["title"]  # Mary's own message in her chat: the chat is the sender
    # A private chat has no public link: the URL is this server's, and stable.
    assert private["url"] == f"{server.base_url}/telegram/message/{private['id']}"
    assert {"id", "title", "text", "url", "metadata"} <= set(fetched)
    assert fetched["id"] == private["id"]
    assert fetched["url"] == private["url"]
    lines = str(fetched["text"]).splitlines()
    target = next(line for line in lines if line.startswith("» "))
    assert "Bernoulli numbers" in target
    assert len(lines) > 1
    assert any("Bring the diagram" in line for line in lines)  # the message after it
    assert "<msg-" in target
    assert fetched["metadata"]["peer"] == f"user:{demo.contacts[1]}"  # type: ignore[index]
    assert "untrusted" in str(fetched["notice"])


async def test_a_public_channels_message_links_to_t_me(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server:
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                found = _only_json(await client.call_tool("search", {"query": "candle"}))
                results = found["results"]
                assert isinstance(results, list)
                post = results[0]
                fetched = _only_json(await client.call_tool("fetch", {"id": post["id"]}))
    message_id = int(post["id"].rsplit("/", 1)[1])
    assert post["url"] == f"https://t.me/science_weekly/{message_id}"
    assert fetched["url"] == post["url"]
    assert fetched["title"].startswith("Science Weekly")  # type: ignore[union-attr]


async def test_fetching_an_id_that_names_no_message_is_one_sentence(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server:
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                missing = await client.call_tool("fetch", {"id": f"user:{demo.contacts[1]}/999999"})
                garbled = await client.call_tool("fetch", {"id": "not an id"})
    for result in (missing, garbled):
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert ". " not in text
        assert "\n" not in text
        assert "search" in text
    assert "999999" in missing.content[0].text  # type: ignore[union-attr]
