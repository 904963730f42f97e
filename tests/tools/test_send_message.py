"""``send_message`` as the operator with every gate open: idempotency, unknown outcomes, duplicates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from tests.harness.mcp_client import connect, deps_for
from tests.harness.world import SEND_REQUEST, texts_in


@pytest.fixture
async def client(services: Services, demo: DemoWorld) -> AsyncIterator[Client]:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    async with connect(deps_for(services, allow_send=True)) as connected:
        yield connected


@pytest.fixture
def peer(demo: DemoWorld) -> str:
    return f"user:{demo.contacts[0]}"


async def send(client: Client, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool("send_message", arguments)
    out = result.structured_content
    assert isinstance(out, dict)
    return out


async def test_a_real_send_returns_telegrams_message_id_and_date(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    out = await send(client, peer=peer, text="  The engine is ready.  ")
    assert out["sent"] is True
    assert out["mode"] == "send"
    assert out["status"] == "sent"
    assert out["peer"] == peer
    newest = world.history(viewer=demo.me, peer=peer)[0]
    assert (out["message_id"], newest.text, newest.out) == (newest.id, "The engine is ready.", True)
    assert out["date"].endswith("Z")


async def test_the_same_key_twice_sends_one_message_and_returns_the_first_result(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    first = await send(client, peer=peer, text="Sent once, asked twice", idempotency_key="order-1")
    mark = world.mark()
    second = await send(client, peer=peer, text="Sent once, asked twice", idempotency_key="order-1")
    assert first["sent"] is True
    assert second["sent"] is True
    assert second["message_id"] == first["message_id"]
    assert second["replayed"] is True
    assert SEND_REQUEST not in world.calls_since(mark)
    assert texts_in(world, viewer=demo.me, peer=peer, text="Sent once, asked twice") == 1


async def test_the_same_key_twice_at_once_sends_one_message(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    results: list[dict[str, Any]] = []

    async def one() -> None:
        results.append(await send(client, peer=peer, text="Racing twins", idempotency_key="race-7"))

    mark = world.mark()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(one)
            nursery.start_soon(one)
    assert [r["sent"] for r in results] == [True, True]
    assert results[0]["message_id"] == results[1]["message_id"]
    assert sorted(bool(r.get("replayed")) for r in results) == [False, True]
    assert world.calls_since(mark, user_id=demo.me).count(SEND_REQUEST) == 1
    assert texts_in(world, viewer=demo.me, peer=peer, text="Racing twins") == 1


async def test_a_key_reused_for_another_text_is_refused_without_sending(
    client: Client, world: SandboxWorld, peer: str
) -> None:
    await send(client, peer=peer, text="First text", idempotency_key="k-1")
    mark = world.mark()
    result = await client.call_tool(
        "send_message", {"peer": peer, "text": "Other text", "idempotency_key": "k-1"}
    )
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "invalid_input"
    assert result.structured_content["field"] == "idempotency_key"
    assert SEND_REQUEST not in world.calls_since(mark)


async def test_a_send_whose_answer_is_lost_reports_sent_unverified_and_is_never_resent(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    world.add_fault(Fault.lose_answer(request=SEND_REQUEST, user_id=demo.me))
    with trio.fail_after(15):
        first = await send(client, peer=peer, text="Did it arrive?", idempotency_key="lost-1")
    assert first["status"] == "sent_unverified"
    assert first["sent"] is None
    assert "NOT retried" in first["notice"]
    # Telegram did act on it: exactly one message is in the chat.
    assert texts_in(world, viewer=demo.me, peer=peer, text="Did it arrive?") == 1

    mark = world.mark()
    again = await send(client, peer=peer, text="Did it arrive?", idempotency_key="lost-1")
    assert again["status"] == "sent_unverified"
    assert again["replayed"] is True
    assert SEND_REQUEST not in world.calls_since(mark)
    assert texts_in(world, viewer=demo.me, peer=peer, text="Did it arrive?") == 1


async def test_the_same_text_again_without_a_key_is_refused_as_a_probable_duplicate(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    await send(client, peer=peer, text="See you at noon")
    mark = world.mark()
    result = await client.call_tool("send_message", {"peer": peer, "text": "See you at noon"})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "probable_duplicate"
    assert "idempotency_key" in result.structured_content["message"]
    assert SEND_REQUEST not in world.calls_since(mark)
    # Giving a key says "I mean it": the second copy goes out.
    out = await send(client, peer=peer, text="See you at noon", idempotency_key="noon-again")
    assert out["sent"] is True
    assert texts_in(world, viewer=demo.me, peer=peer, text="See you at noon") == 2


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 4097}, "text"),
        ({"text": "ok", "peer": "alice"}, "peer"),
        ({"text": "ok", "reply_to": 0}, "reply_to"),
        ({"text": "ok", "idempotency_key": "has spaces"}, "idempotency_key"),
    ],
)
async def test_bad_arguments_are_one_clear_error_and_send_nothing(
    client: Client, world: SandboxWorld, peer: str, arguments: dict[str, Any], field: str
) -> None:
    mark = world.mark()
    result = await client.call_tool("send_message", {"peer": peer, **arguments})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["field"] == field
    assert SEND_REQUEST not in world.calls_since(mark)


async def test_a_send_telegram_refuses_frees_its_key(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    world.add_fault(Fault.rpc_error(400, "CHAT_WRITE_FORBIDDEN", request=SEND_REQUEST, user_id=demo.me))
    refused = await client.call_tool(
        "send_message", {"peer": peer, "text": "Try me", "idempotency_key": "r-1"}
    )
    assert refused.is_error
    assert refused.structured_content is not None
    assert refused.structured_content["error"] == "telegram_error"
    out = await send(client, peer=peer, text="Try me", idempotency_key="r-1")
    assert out["sent"] is True
    assert "replayed" not in out
    assert texts_in(world, viewer=demo.me, peer=peer, text="Try me") == 1
