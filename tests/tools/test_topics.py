"""``topic_id`` on the read tools, ``mark_read`` and ``send_message``, over real Telethon and
the sandbox's Engine Makers forum (topics: Gears, Announcements, Minutes 1843 closed)."""

from __future__ import annotations

from typing import Any

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import call, connect, deps_for, error_of, tools_for, unwrap
from tests.harness.world import SEND_REQUEST

GEARS, ANNOUNCEMENTS, MINUTES = 0, 1, 2
NO_SUCH_TOPIC = 999


async def test_get_messages_in_a_topic_reads_only_that_topic_and_names_it(
    services: Services, demo: DemoWorld
) -> None:
    forum, gears = f"channel:{demo.forum}", demo.topics[GEARS]
    async with tools_for(services, demo.me) as client:
        topic = await call(client, "get_messages", {"peer": forum, "topic_id": gears})
        first = await call(client, "get_messages", {"peer": forum, "topic_id": gears, "limit": 2})
        rest = await call(
            client, "get_messages", {"peer": forum, "topic_id": gears, "before_id": first["next_before_id"]}
        )
        whole = await call(client, "get_messages", {"peer": forum})
    texts = [unwrap(m["text"]) for m in topic["messages"]]
    assert texts == [
        "The second batch ships next week.",
        "Forty, I counted them twice.",
        "Wonderful. How many teeth on the large wheel?",
        "The brass gears for the store arrived today.",
    ]
    assert {m["topic"] for m in topic["messages"]} == {gears}
    assert topic["names"][f"{forum}/{gears}"] == "Gears"
    assert "next_before_id" not in topic
    assert [m["id"] for m in first["messages"] + rest["messages"]] == [m["id"] for m in topic["messages"]]
    assert "next_before_id" not in rest
    # the whole forum: every message carries its topic, and the legend names each one
    by_topic = {m["topic"] for m in whole["messages"]}
    assert by_topic == {1, *demo.topics}
    assert {whole["names"][f"{forum}/{t}"] for t in by_topic} == {
        "General",
        "Gears",
        "Announcements",
        "Minutes 1843",
    }
    assert not any("reply_to" in m for m in topic["messages"])  # the topic's top message is no reply


async def test_unread_and_search_in_a_topic_stay_in_that_topic(services: Services, demo: DemoWorld) -> None:
    forum, gears = f"channel:{demo.forum}", demo.topics[GEARS]
    async with tools_for(services, demo.me) as client:
        unread = await call(client, "get_unread_messages", {"peer": forum, "topic_id": gears})
        found = await call(client, "search_messages", {"query": "the", "peer": forum, "topic_id": gears})
        announcements = await call(
            client,
            "search_messages",
            {"query": "saturday", "peer": forum, "topic_id": demo.topics[ANNOUNCEMENTS]},
        )
        no_peer = await error_of(client, "get_messages", {"peer": "", "topic_id": gears})
        no_peer_search = await error_of(client, "search_messages", {"query": "the", "topic_id": gears})
    assert [unwrap(m["text"]) for m in unread["messages"]] == [
        "Forty, I counted them twice.",
        "The second batch ships next week.",
    ]
    assert [(c["peer"], c["unread_count"], c["returned"]) for c in unread["chats"]] == [(forum, 2, 2)]
    assert unread["chats"][0]["title"] == "Engine Makers / Gears"
    assert [unwrap(m["text"]) for m in found["messages"]] == [
        "The second batch ships next week.",
        "Forty, I counted them twice.",
        "Wonderful. How many teeth on the large wheel?",
        "The brass gears for the store arrived today.",
    ]
    assert [unwrap(m["text"]) for m in announcements["messages"]] == [
        "Workshop closed on Saturday for cleaning."
    ]
    assert no_peer["error"] == "invalid_input"
    assert (no_peer_search["field"], no_peer_search["error"]) == ("topic_id", "invalid_input")


async def test_a_topic_that_does_not_exist_is_one_clear_sentence(services: Services, demo: DemoWorld) -> None:
    forum = f"channel:{demo.forum}"
    async with tools_for(services, demo.me, allow_mark_read=True) as client:
        errors = [
            await error_of(client, "get_messages", {"peer": forum, "topic_id": NO_SUCH_TOPIC}),
            await error_of(client, "get_unread_messages", {"peer": forum, "topic_id": NO_SUCH_TOPIC}),
            await error_of(client, "mark_read", {"peer": forum, "topic_id": NO_SUCH_TOPIC}),
        ]
    for error in errors:
        assert error["message"] == "This forum has no topic with that id; take topic ids from list_topics."


async def test_mark_read_with_a_topic_reads_only_that_topic(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    forum, gears = f"channel:{demo.forum}", demo.topics[GEARS]
    async with tools_for(services, demo.me, allow_mark_read=True) as client:
        mark = world.mark()
        marked = await call(client, "mark_read", {"peer": forum, "topic_id": gears})
        calls = world.calls_since(mark, user_id=demo.me)
        topics = await call(client, "list_topics", {"peer": forum})
    assert (marked["peer"], marked["marked_read"]) == (forum, True)
    assert "messages.ReadDiscussionRequest" in calls
    unread = {t["title"]: t["unread_count"] for t in topics["topics"]}
    assert unread == {"General": 1, "Gears": 0, "Announcements": 1, "Minutes 1843": 0}


async def _sender(services: Services, demo: DemoWorld, *, allow_send: bool) -> Any:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    return connect(deps_for(services, allow_send=allow_send))


async def test_send_message_with_a_topic_lands_in_that_topic_once_per_key(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    forum, gears = f"channel:{demo.forum}", demo.topics[GEARS]
    arguments = {"peer": forum, "text": "Forty-one would jam.", "topic_id": gears, "idempotency_key": "g-1"}
    async with await _sender(services, demo, allow_send=True) as client:
        first = (await client.call_tool("send_message", arguments)).structured_content
        mark = world.mark()
        again = (await client.call_tool("send_message", arguments)).structured_content
        retried = world.calls_since(mark)
        general = (
            await client.call_tool("send_message", {"peer": forum, "text": "Found it!", "topic_id": 1})
        ).structured_content
        topic = await call(client, "get_messages", {"peer": forum, "topic_id": gears, "limit": 1})
        in_general = await call(client, "get_messages", {"peer": forum, "topic_id": 1, "limit": 1})
    assert first["sent"] is True
    assert again["replayed"] is True
    assert again["message_id"] == first["message_id"]
    assert SEND_REQUEST not in retried
    assert [(m["id"], unwrap(m["text"])) for m in topic["messages"]] == [
        (first["message_id"], "Forty-one would jam.")
    ]
    assert [m["id"] for m in in_general["messages"]] == [general["message_id"]]


async def test_send_message_to_a_topic_with_the_gate_closed_is_a_draft_and_no_telegram_call(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    forum = f"channel:{demo.forum}"
    async with await _sender(services, demo, allow_send=False) as client:
        mark = world.mark()
        out = (
            await client.call_tool(
                "send_message", {"peer": forum, "text": "Draft only", "topic_id": demo.topics[GEARS]}
            )
        ).structured_content
        calls = world.calls_since(mark, user_id=demo.me)
    assert (out["mode"], out["sent"]) == ("draft", False)
    assert SEND_REQUEST not in calls


async def test_send_message_into_a_closed_topic_is_one_clear_sentence(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    forum = f"channel:{demo.forum}"
    async with await _sender(services, demo, allow_send=True) as client:
        result = await client.call_tool(
            "send_message", {"peer": forum, "text": "Late minutes", "topic_id": demo.topics[MINUTES]}
        )
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["message"] == (
        "This forum topic is closed; only its admins can write there, so pick another topic."
    )
    assert not any(m.text == "Late minutes" for m in world.history(viewer=demo.me, peer=forum))
