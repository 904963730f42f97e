"""Figures counted inside one process against the sandbox: RPCs per tool call, bytes of output.

The sandbox logs every request Telethon sends (``world.mark()`` / ``calls_since``),
so the number of Telegram RPCs a tool call costs is counted exactly, not estimated.
Each read tool runs twice on a fixed scenario: ``first`` right after the account
connected (cold entity cache), ``again`` with the same arguments straight after.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import Client

from mctltg.app import open_services, provision_sandbox_account, tool_deps
from mctltg.config import load_settings
from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.tools import build_mcp_server

__all__ = ["OUTPUT_BUDGET", "OutputSize", "RpcCount", "count_rpcs", "measure_output", "seed_output_chat"]

#: Texts of everyday length, cycled to fill the 60-message chat the output figure reads.
_TEXTS = (
    "Morning! Did you get the drawings I sent last night?",
    "Yes, they look great. One question about the gear ratios on page 3.",
    "Sure, ask away.",
    "Why 1:40 and not 1:50? The store would need fewer columns.",
    "Because the carriage has to anticipate; 1:40 keeps the timing right.",
    "Makes sense. Tea on Thursday to go through the rest?",
    "Perfect, 4 pm at the usual place 👍",
)


#: 2026-11-25 08:00 UTC, the morning the output chat's messages are dated.
_MORNING = 1_795_593_600.0

#: The goal for that page's text: at most 0.7x the 8,689 B it took on 2026-11-25 (main e3e3062).
OUTPUT_BUDGET = int(8689 * 0.7)


def seed_output_chat(world: SandboxWorld) -> tuple[int, int]:
    """The chat the output figure reads: 60 everyday messages, alternating; (me, friend).

    They are a minute apart on one fixed morning, so the figure never depends on the hour
    the benchmark runs (a page spanning midnight gives each message its full date).
    """
    me = world.add_user(first_name="Ada", last_name="Lovelace", username="ada_bench")
    friend = world.add_user(first_name="Charles", last_name="Babbage", username="charles_bench")
    for index in range(60):
        sender, peer = (friend, f"user:{me}") if index % 2 else (me, f"user:{friend}")
        world.send(sender=sender, peer=peer, text=_TEXTS[index % len(_TEXTS)], date=_MORNING + 60 * index)
    return me, friend


def _settings(folder: Path, **overrides: str) -> Any:
    values = {
        "ADDR": "127.0.0.1:0",
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
        "DATABASE_URL": str(folder / "bench.db"),
        "ENCRYPTION_KEY": secrets.token_hex(32),
        "TG_DEVICE_NAME": "mctltg bench",
        **overrides,
    }
    return load_settings(environ={}, overrides=values)


@dataclass(frozen=True, slots=True)
class RpcCount:
    scenario: str
    first: int
    again: int
    requests: tuple[str, ...]


async def count_rpcs() -> list[RpcCount]:
    """RPCs per call of every read tool on the seeded demo world."""
    world = SandboxWorld()
    demo = seed_demo_world(world)
    club = world.history(viewer=demo.me, peer=f"chat:{demo.group}")
    middle = club[len(club) // 2].id
    scenarios: list[tuple[str, str, dict[str, Any]]] = [
        ("list_dialogs (50)", "list_dialogs", {"limit": 50}),
        ("get_unread_messages, all chats", "get_unread_messages", {}),
        ("get_unread_messages, one chat", "get_unread_messages", {"peer": f"chat:{demo.group}"}),
        ("get_messages (50)", "get_messages", {"peer": f"user:{demo.contacts[0]}", "limit": 50}),
        ("search_messages, all chats", "search_messages", {"query": "engine"}),
        ("search_messages, one chat", "search_messages", {"query": "cards", "peer": f"chat:{demo.group}"}),
        ("mark_read, one chat", "mark_read", {"peer": f"user:{demo.contacts[1]}"}),
        ("mark_read, a channel", "mark_read", {"peer": f"channel:{demo.channel}"}),
        ("get_peer_info, a channel", "get_peer_info", {"peer": f"channel:{demo.channel}"}),
        ("get_peer_info, a contact", "get_peer_info", {"peer": f"user:{demo.contacts[0]}"}),
        ("search_contacts", "search_contacts", {"query": "science"}),
        ("get_my_identity", "get_my_identity", {}),
        (
            "get_message_context (5+5)",
            "get_message_context",
            {"peer": f"chat:{demo.group}", "message_id": middle},
        ),
        (
            "get_replies, a post's comments",
            "get_replies",
            {"peer": f"channel:{demo.channel}", "message_id": demo.commented_post},
        ),
        ("get_drafts", "get_drafts", {}),
        ("get_scheduled_messages, one chat", "get_scheduled_messages", {"peer": f"user:{demo.contacts[0]}"}),
        ("list_folders", "list_folders", {}),
        ("list_dialogs, a chat folder", "list_dialogs", {"folder": str(demo.folders[0])}),
        ("list_dialogs, archived", "list_dialogs", {"folder": "archived"}),
        ("list_topics", "list_topics", {"peer": f"channel:{demo.forum}"}),
        (
            "get_messages, one topic (50)",
            "get_messages",
            {"peer": f"channel:{demo.forum}", "topic_id": demo.topics[0]},
        ),
        (
            "get_unread_messages, one topic",
            "get_unread_messages",
            {"peer": f"channel:{demo.forum}", "topic_id": demo.topics[0]},
        ),
        (
            "search_messages, one topic",
            "search_messages",
            {"query": "gears", "peer": f"channel:{demo.forum}", "topic_id": demo.topics[0]},
        ),
        ("mark_read, one topic", "mark_read", {"peer": f"channel:{demo.forum}", "topic_id": demo.topics[0]}),
        ("search (ChatGPT), all chats", "search", {"query": "engine"}),
        ("fetch (ChatGPT), 5+5 around", "fetch", {"id": f"chat:{demo.group}/{middle}"}),
    ]
    counts: list[RpcCount] = []
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        for label, tool, arguments in scenarios:
            # A fresh database and account per scenario: "first" is always a cold cache.
            settings = _settings(Path(tempfile.mkdtemp(dir=folder)), ALLOW_MARK_READ="true")
            async with open_services(settings, world=world) as services:
                await provision_sandbox_account(services, telegram_user_id=demo.me)
                async with Client(build_mcp_server(tool_deps(services))) as client:
                    runs = []
                    for _ in range(2):
                        mark = world.mark()
                        result = await client.call_tool(tool, arguments)
                        if result.is_error:
                            raise RuntimeError(f"{label} failed: {result.structured_content}")
                        runs.append(world.calls_since(mark, user_id=demo.me))
            counts.append(
                RpcCount(scenario=label, first=len(runs[0]), again=len(runs[1]), requests=tuple(runs[0]))
            )
    return counts


@dataclass(frozen=True, slots=True)
class OutputSize:
    messages: int
    result_bytes: int
    text_bytes: int


async def measure_output() -> OutputSize:
    """Bytes of one ``get_messages`` page of 50 everyday messages in a private chat."""
    world = SandboxWorld()
    me, friend = seed_output_chat(world)
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        async with open_services(_settings(Path(folder)), world=world) as services:
            await provision_sandbox_account(services, telegram_user_id=me)
            async with Client(build_mcp_server(tool_deps(services))) as client:
                result = await client.call_tool("get_messages", {"peer": f"user:{friend}", "limit": 50})
    if result.is_error or result.structured_content is None:
        raise RuntimeError(f"get_messages failed: {result.structured_content}")
    wire = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = "".join(item.text for item in result.content if item.type == "text")
    return OutputSize(
        messages=len(result.structured_content["messages"]),
        result_bytes=len(json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode()),
        text_bytes=len(text.encode()),
    )
