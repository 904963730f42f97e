"""Forum topics and chat folders over real HTTP: MCP client, Hypercorn, account pool, Telethon, sandbox."""

from __future__ import annotations

from pathlib import Path

import trio
from mcp import Client

from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import serve_provisioned


async def test_a_client_finds_a_forum_reads_one_topic_and_walks_a_folder_over_http(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    forum = f"channel:{demo.forum}"
    async with serve_provisioned(tmp_path, world, demo, ALLOW_MARK_READ="true") as server:
        with trio.fail_after(30):
            async with Client(server.mcp_url) as client:
                dialogs = await client.call_tool("list_dialogs", {"folder": str(demo.folders[0])})
                topics = await client.call_tool("list_topics", {"peer": forum, "query": "gears"})
                gears = topics.structured_content["topics"][0]["id"] if topics.structured_content else 0
                unread = await client.call_tool("get_unread_messages", {"peer": forum, "topic_id": gears})
                marked = await client.call_tool("mark_read", {"peer": forum, "topic_id": gears})
                after = await client.call_tool("list_topics", {"peer": forum, "query": "gears"})
                missing = await client.call_tool("get_messages", {"peer": forum, "topic_id": 999})
    assert dialogs.structured_content is not None
    assert [d.get("forum") for d in dialogs.structured_content["dialogs"] if d["peer"] == forum] == [True]
    assert gears == demo.topics[0]
    assert unread.structured_content is not None
    assert len(unread.structured_content["messages"]) == 2
    assert unread.structured_content["names"][f"{forum}/{gears}"] == "Gears"
    assert not marked.is_error
    assert after.structured_content is not None
    assert after.structured_content["topics"][0]["unread_count"] == 0
    assert missing.is_error
    assert missing.structured_content is not None
    assert missing.structured_content["message"] == (
        "This forum has no topic with that id; take topic ids from list_topics."
    )
