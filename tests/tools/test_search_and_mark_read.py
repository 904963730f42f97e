"""``search_messages`` and ``mark_read`` over real Telethon and the sandbox."""

from __future__ import annotations

import pytest

from mctltg.app import Services
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import call, error_of, hint, tools_for, unwrap

MAY_1 = 1_714_521_600.0  # 2024-05-01T00:00:00Z
DAY = 86_400.0


def _orchard(world: SandboxWorld) -> tuple[int, int, int]:
    me = world.add_user(first_name="Grower")
    friend = world.add_user(first_name="Orchard friend")
    market = world.create_group(title="Market", creator=friend, members=[me])
    for label, when in (
        ("before", MAY_1 - 1),
        ("first second", MAY_1),
        ("last second", MAY_1 + DAY - 1),
        ("next day", MAY_1 + DAY),
    ):
        world.send(sender=friend, peer=f"user:{me}", text=f"apple {label}", date=when)
    world.send(sender=friend, peer=f"chat:{market}", text="apple at the market", date=MAY_1 + 3600)
    world.send(sender=friend, peer=f"chat:{market}", text="pears only", date=MAY_1 + 7200)
    return me, friend, market


async def test_global_and_per_peer_search_honour_inclusive_utc_date_bounds(
    services: Services, world: SandboxWorld
) -> None:
    me, friend, market = _orchard(world)
    async with tools_for(services, me) as client:
        day = await call(
            client, "search_messages", {"query": "apple", "min_date": "2024-05-01", "max_date": "2024-05-01"}
        )
        exact = await call(
            client,
            "search_messages",
            {"query": "APPLE", "min_date": "2024-05-01T00:00:00Z", "max_date": "2024-05-01T23:59:59Z"},
        )
        in_chat = await call(
            client, "search_messages", {"query": "apple", "peer": f"user:{friend}", "min_date": "2024-05-01"}
        )
        everything = await call(client, "search_messages", {"query": "apple", "limit": 100})
        capped = await call(client, "search_messages", {"query": "apple", "limit": 2})
    texts = sorted(unwrap(m["text"]) for m in day["messages"])
    assert texts == ["apple at the market", "apple first second", "apple last second"]
    assert sorted(unwrap(m["text"]) for m in exact["messages"]) == texts
    assert {m["peer"] for m in day["messages"]} == {f"user:{friend}", f"chat:{market}"}
    assert [unwrap(m["text"]) for m in in_chat["messages"]] == [
        "apple next day",
        "apple last second",
        "apple first second",
    ]
    assert len(everything["messages"]) == 5
    assert len(capped["messages"]) == 2
    assert day["query"] == "apple"
    assert "DATA" in day["notice"]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"query": "apple", "min_date": "2024-05-02", "max_date": "2024-05-01"}, "min_date"),
        ({"query": "apple", "min_date": "yesterday"}, "min_date"),
        ({"query": "apple", "max_date": "2040-01-01"}, "max_date"),
        ({"query": "   "}, "query"),
        ({"query": "apple", "limit": 101}, "limit"),
        ({"query": "apple", "peer": "https://t.me/x"}, "peer"),
    ],
)
async def test_bad_search_arguments_are_clear_errors(
    services: Services, demo: DemoWorld, arguments: dict[str, object], field: str
) -> None:
    async with tools_for(services, demo.me) as client:
        error = await error_of(client, "search_messages", arguments)
    assert (error["error"], error["field"]) == ("invalid_input", field)


async def test_mark_read_is_refused_unless_the_operator_enables_it(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        mark = world.mark()
        error = await error_of(client, "mark_read", {"peer": f"chat:{demo.group}"})
        calls = world.calls_since(mark, user_id=demo.me)
        still = await call(client, "get_unread_messages", {"peer": f"chat:{demo.group}"})
    assert error["error"] == "permission_denied"
    assert "ALLOW_MARK_READ" in error["message"]
    assert calls == []  # refused before Telegram was asked anything
    assert len(still["messages"]) == 3


async def test_mark_read_marks_a_chat_read_up_to_max_id(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me, allow_mark_read=True) as client:
        before = await call(client, "get_unread_messages", {"peer": f"chat:{demo.group}"})
        first_unread = before["messages"][0]["id"]
        partial = await call(client, "mark_read", {"peer": f"chat:{demo.group}", "max_id": first_unread})
        middle = await call(client, "get_unread_messages", {"peer": f"chat:{demo.group}"})
        full = await call(client, "mark_read", {"peer": f"channel:{demo.channel}"})
        channel = await call(client, "get_unread_messages", {"peer": f"channel:{demo.channel}"})
        again = await call(client, "mark_read", {"peer": f"channel:{demo.channel}"})
    assert len(before["messages"]) == 3
    assert partial == {
        "peer": f"chat:{demo.group}",
        "marked_read": True,
        "max_id": first_unread,
        "sandbox": True,
    }
    assert [m["id"] for m in middle["messages"]] == [m["id"] for m in before["messages"][1:]]
    assert full["marked_read"] is True
    assert full["max_id"] == world.history(viewer=demo.me, peer=f"channel:{demo.channel}")[0].id
    assert channel["messages"] == []
    assert channel["chats"] == []
    assert again == full  # idempotent


async def test_mark_read_on_a_channel_without_max_id_sends_the_newest_id_not_zero(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    channel = f"channel:{demo.channel}"
    newest = world.history(viewer=demo.me, peer=channel)[0].id
    async with tools_for(services, demo.me, allow_mark_read=True) as client:
        mark = world.mark()
        marked = await call(client, "mark_read", {"peer": channel})
        requests = world.calls_since(mark, user_id=demo.me)
    # channels.readHistory with max_id 0 means "everything" only on Telegram's own servers.
    assert requests[-2:] == ["messages.GetHistoryRequest", "channels.ReadHistoryRequest"]
    assert marked == {"peer": channel, "marked_read": True, "max_id": newest, "sandbox": True}


async def test_every_read_tool_declares_scope_annotations_and_output_schema(
    services: Services, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("get_unread_messages", "get_messages", "search_messages", "mark_read"):
        tool = listed[name]
        assert tool.title
        assert hint(tool, "open_world_hint") is True
        assert tool.output_schema is not None
        properties = tool.output_schema.get("properties", {})
        assert ("marked_read" if name == "mark_read" else "messages") in properties
        assert (tool.meta or {}).get("mctltg/scope") == "telegram:messages:read"
        expected_read_only = name != "mark_read"
        assert hint(tool, "read_only_hint") is expected_read_only
    mark = listed["mark_read"]
    assert (hint(mark, "destructive_hint"), hint(mark, "idempotent_hint")) == (False, True)
