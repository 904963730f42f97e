"""``get_message_context`` and ``get_replies`` over real Telethon and the sandbox."""

from __future__ import annotations

from mctltg.app import Services
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.tools.message_context import NO_THREAD
from tests.harness.mcp_client import call, error_of, tools_for, unwrap


def _numbered_group(world: SandboxWorld, count: int) -> tuple[int, int, dict[str, int]]:
    me = world.add_user(first_name="Reader")
    other = world.add_user(first_name="Writer")
    group = world.create_group(title="Numbers", creator=other, members=[me])
    ids = {}
    for i in range(count):
        world.send(sender=other if i % 2 else me, peer=f"chat:{group}", text=f"message {i}")
    for message in world.history(viewer=me, peer=f"chat:{group}"):
        ids[message.text] = message.id
    return me, group, ids


def _texts(result: dict[str, object]) -> list[str]:
    messages = result["messages"]
    assert isinstance(messages, list)
    return [unwrap(m["text"]) for m in messages]


async def test_the_context_is_the_messages_just_before_and_after_oldest_first_in_one_call(
    services: Services, world: SandboxWorld
) -> None:
    me, group, ids = _numbered_group(world, 20)
    async with tools_for(services, me) as client:
        mark = world.mark()
        result = await call(
            client,
            "get_message_context",
            {"peer": f"chat:{group}", "message_id": ids["message 10"], "before": 2, "after": 3},
        )
        calls = world.calls_since(mark, user_id=me)
    assert _texts(result) == [f"message {i}" for i in range(8, 14)]
    assert result["target"] == ids["message 10"]
    assert result["peer"] == f"chat:{group}"
    assert "untrusted" in result["notice"]
    assert calls == ["messages.GetHistoryRequest"]


async def test_the_context_of_the_newest_message_has_nothing_after_it(
    services: Services, world: SandboxWorld
) -> None:
    me, group, ids = _numbered_group(world, 12)
    async with tools_for(services, me) as client:
        newest = await call(
            client, "get_message_context", {"peer": f"chat:{group}", "message_id": ids["message 11"]}
        )
        alone = await call(
            client,
            "get_message_context",
            {"peer": f"chat:{group}", "message_id": ids["message 3"], "before": 0, "after": 0},
        )
    assert _texts(newest) == [f"message {i}" for i in range(6, 12)]
    assert _texts(alone) == ["message 3"]


async def test_the_context_in_a_private_chat_uses_that_chats_ids(services: Services, demo: DemoWorld) -> None:
    charles = demo.contacts[0]
    async with tools_for(services, demo.me) as client:
        page = await call(client, "get_messages", {"peer": f"user:{charles}", "limit": 50})
        question = next(m for m in page["messages"] if "1,000 numbers" in unwrap(m["text"]))
        result = await call(
            client,
            "get_message_context",
            {"peer": f"user:{charles}", "message_id": question["id"], "before": 1, "after": 1},
        )
    texts = _texts(result)
    assert len(texts) == 3
    assert "1,000 numbers" in texts[1]
    assert texts[2].startswith("Yes, that is the plan")


async def test_a_message_id_the_chat_does_not_have_is_one_sentence(
    services: Services, world: SandboxWorld
) -> None:
    me, group, _ = _numbered_group(world, 5)
    async with tools_for(services, me) as client:
        error = await error_of(client, "get_message_context", {"peer": f"chat:{group}", "message_id": 9999})
    assert "no message with that id" in error["message"]
    assert "\n" not in error["message"]


async def test_more_than_fifty_around_is_refused_without_calling_telegram(
    services: Services, world: SandboxWorld
) -> None:
    me, group, ids = _numbered_group(world, 3)
    async with tools_for(services, me) as client:
        mark = world.mark()
        error = await error_of(
            client,
            "get_message_context",
            {"peer": f"chat:{group}", "message_id": ids["message 1"], "after": 51},
        )
        assert world.calls_since(mark, user_id=me) == []
    assert (error["error"], error["field"]) == ("invalid_input", "after")


async def test_the_comments_of_a_channel_post_come_from_its_discussion_group_in_one_call(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    arguments = {"peer": f"channel:{demo.channel}", "message_id": demo.commented_post}
    async with tools_for(services, demo.me) as client:
        result = await call(client, "get_replies", arguments)
        mark = world.mark()
        await call(client, "get_replies", arguments)  # the channel's access hash is known now
        calls = world.calls_since(mark, user_id=demo.me)
    assert _texts(result) == [
        "Both correct. Convection is the word we want.",
        "Mary is right; in orbit a flame is a round blue ball.",
        "Because hot air rises and carries the flame with it?",
    ]
    assert result["peer"] == f"channel:{demo.discussion}"
    assert result["count"] == 3
    assert [m["from"] for m in result["messages"]] == ["@faraday_lab", "@charles_b", "@mary_som"]
    assert calls == ["messages.GetRepliesRequest"]


async def test_a_post_without_comments_says_it_has_no_thread(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    posts = [m for m in world.history(viewer=demo.me, peer=f"channel:{demo.channel}") if not m.service]
    quiet = next(m.id for m in posts if m.id != demo.commented_post)
    async with tools_for(services, demo.me) as client:
        error = await error_of(
            client, "get_replies", {"peer": f"channel:{demo.channel}", "message_id": quiet}
        )
        private = await error_of(client, "get_replies", {"peer": f"user:{demo.contacts[0]}", "message_id": 1})
    assert error["message"] == NO_THREAD
    assert private["message"] == NO_THREAD


async def test_replies_to_a_supergroup_message_are_its_thread(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    peer = f"channel:{demo.supergroup}"
    asked = next(
        m.id for m in world.history(viewer=demo.me, peer=peer) if m.text.startswith("There are eight")
    )
    async with tools_for(services, demo.me) as client:
        result = await call(client, "get_replies", {"peer": peer, "message_id": asked})
    assert _texts(result) == ["I get eight as well: (3, 5) up to (71, 73)."]
    assert result["messages"][0]["reply_to"] == asked
    assert result["messages"][0]["out"] is True
