"""send_message(schedule_at=...), get_scheduled_messages and delete_scheduled_messages."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from tests.harness.mcp_client import connect, deps_for
from tests.harness.world import SEND_REQUEST

DELETE_REQUEST = "messages.DeleteScheduledMessagesRequest"


def rfc3339(seconds_from_now: float) -> str:
    moment = dt.datetime.fromtimestamp(time.time() + seconds_from_now, dt.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def client(services: Services, demo: DemoWorld) -> AsyncIterator[Client]:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    async with connect(deps_for(services, allow_send=True)) as connected:
        yield connected


@pytest.fixture
def peer(demo: DemoWorld) -> str:
    return f"user:{demo.contacts[0]}"


async def call(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    out = result.structured_content
    assert isinstance(out, dict), result
    return out


async def test_a_scheduled_send_is_queued_for_its_time_and_listed_not_sent(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    before = len(world.history(viewer=demo.me, peer=peer))
    when = rfc3339(3 * 3600)
    out = await call(client, "send_message", peer=peer, text="Happy birthday!", schedule_at=when)
    assert (out["status"], out["scheduled"], out["date"]) == ("sent", True, when)
    queued = world.scheduled(viewer=demo.me, peer=peer)
    assert [(m.id, m.text) for m in queued] == [(out["message_id"], "Happy birthday!")]
    assert len(world.history(viewer=demo.me, peer=peer)) == before

    mark = world.mark()
    listed = await call(client, "get_scheduled_messages", peer=peer)
    assert world.calls_since(mark) == ["messages.GetScheduledHistoryRequest"]
    nonce = listed["notice"].split("<msg-")[1].split(">")[0]
    [message] = listed["messages"]
    assert message["id"] == out["message_id"]
    assert message["text"] == f"<msg-{nonce}>Happy birthday!</msg-{nonce}>"
    assert "link" not in message


async def test_a_closed_gate_previews_a_scheduled_send_without_calling_telegram(
    services: Services, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    async with connect(deps_for(services, allow_send=False)) as closed:
        mark = world.mark()
        out = await call(closed, "send_message", peer=peer, text="Later", schedule_at=rfc3339(3600))
    assert (out["mode"], out["dry_reason_code"]) == ("draft", "server_allow_send")
    assert "scheduled" not in out
    assert world.calls_since(mark) == []
    assert world.scheduled(viewer=demo.me, peer=peer) == []


async def test_the_same_key_twice_schedules_one_message(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    when = rfc3339(7200)
    first = await call(
        client, "send_message", peer=peer, text="Once", schedule_at=when, idempotency_key="s-1"
    )
    mark = world.mark()
    again = await call(
        client, "send_message", peer=peer, text="Once", schedule_at=when, idempotency_key="s-1"
    )
    assert (again["message_id"], again["replayed"], again["scheduled"]) == (first["message_id"], True, True)
    assert SEND_REQUEST not in world.calls_since(mark)
    assert len(world.scheduled(viewer=demo.me, peer=peer)) == 1
    other_time = await client.call_tool(
        "send_message",
        {"peer": peer, "text": "Once", "schedule_at": rfc3339(9000), "idempotency_key": "s-1"},
    )
    assert other_time.is_error


@pytest.mark.parametrize(
    ("schedule_at", "words"),
    [
        ("2020-01-01T00:00:00Z", "past"),
        ("2999-01-01T00:00:00Z", "365 days"),
        ("2030-05-01T09:30:00", "zone"),
        ("tomorrow", "RFC 3339"),
        ("2030-02-30T09:30:00Z", "real date"),
    ],
)
async def test_a_schedule_telegram_would_refuse_is_refused_up_front(
    client: Client, world: SandboxWorld, peer: str, schedule_at: str, words: str
) -> None:
    mark = world.mark()
    result = await client.call_tool(
        "send_message", {"peer": peer, "text": "When?", "schedule_at": schedule_at}
    )
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["field"] == "schedule_at"
    assert words in result.structured_content["message"]
    assert world.calls_since(mark) == []


@pytest.mark.parametrize(
    ("code", "words"),
    [("SCHEDULE_DATE_INVALID", "schedule time"), ("SCHEDULE_TOO_MUCH", "delete some first")],
)
async def test_telegrams_schedule_errors_are_one_sentence(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str, code: str, words: str
) -> None:
    world.add_fault(Fault.rpc_error(400, code, request=SEND_REQUEST, user_id=demo.me))
    result = await client.call_tool("send_message", {"peer": peer, "text": "Hi", "schedule_at": rfc3339(600)})
    assert result.is_error
    assert result.structured_content is not None
    message = result.structured_content["message"]
    assert words in message
    assert "\n" not in message


async def test_deleting_scheduled_messages_cancels_them_and_names_ids_already_gone(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    kept = await call(client, "send_message", peer=peer, text="Keep me", schedule_at=rfc3339(3600))
    dropped = await call(client, "send_message", peer=peer, text="Drop me", schedule_at=rfc3339(4000))
    out = await call(client, "delete_scheduled_messages", peer=peer, ids=[dropped["message_id"], 9999])
    assert (out["status"], out["deleted"], out["not_found"]) == ("deleted", [dropped["message_id"]], [9999])
    assert [m.id for m in world.scheduled(viewer=demo.me, peer=peer)] == [kept["message_id"]]


async def test_a_closed_gate_previews_a_deletion_without_calling_telegram(
    services: Services, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    async with connect(deps_for(services, allow_send=True)) as open_client:
        queued = await call(open_client, "send_message", peer=peer, text="Stay", schedule_at=rfc3339(3600))
    async with connect(deps_for(services, allow_send=False)) as closed:
        mark = world.mark()
        out = await call(closed, "delete_scheduled_messages", peer=peer, ids=[queued["message_id"]])
    assert (out["mode"], out["ids"], out["dry_reason_code"]) == (
        "draft",
        [queued["message_id"]],
        "server_allow_send",
    )
    assert world.calls_since(mark) == []
    assert len(world.scheduled(viewer=demo.me, peer=peer)) == 1


async def test_a_deletion_retried_with_its_key_is_not_repeated(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    queued = await call(client, "send_message", peer=peer, text="Cancel me", schedule_at=rfc3339(3600))
    ids = [queued["message_id"]]
    first = await call(client, "delete_scheduled_messages", peer=peer, ids=ids, idempotency_key="d-1")
    mark = world.mark()
    again = await call(client, "delete_scheduled_messages", peer=peer, ids=ids, idempotency_key="d-1")
    assert first["deleted"] == again["deleted"] == ids
    assert again["replayed"] is True
    assert DELETE_REQUEST not in world.calls_since(mark)
    log = await call(client, "get_my_audit_log", limit=10)
    tools = [entry["tool"] for entry in log["entries"]]
    assert tools.count("delete_scheduled_messages:delivery") == 1
    assert tools.count("delete_scheduled_messages") == 2


@pytest.mark.parametrize(("ids", "words"), [([], "1-100"), (list(range(1, 102)), "at most 100")])
async def test_bad_id_lists_are_one_clear_error(
    client: Client, world: SandboxWorld, peer: str, ids: list[int], words: str
) -> None:
    mark = world.mark()
    result = await client.call_tool("delete_scheduled_messages", {"peer": peer, "ids": ids})
    assert result.is_error
    assert result.structured_content is not None
    assert words in result.structured_content["message"]
    assert world.calls_since(mark) == []


async def test_a_deletion_key_reused_for_other_ids_is_refused_without_deleting(
    client: Client, world: SandboxWorld, demo: DemoWorld, peer: str
) -> None:
    first = await call(client, "send_message", peer=peer, text="One", schedule_at=rfc3339(3600))
    second = await call(client, "send_message", peer=peer, text="Two", schedule_at=rfc3339(3700))
    ids = [first["message_id"]]
    await call(client, "delete_scheduled_messages", peer=peer, ids=ids, idempotency_key="d-2")
    mark = world.mark()
    reused = await client.call_tool(
        "delete_scheduled_messages", {"peer": peer, "ids": [second["message_id"]], "idempotency_key": "d-2"}
    )
    assert reused.is_error
    assert reused.structured_content is not None
    assert reused.structured_content["field"] == "idempotency_key"
    assert DELETE_REQUEST not in world.calls_since(mark)
    assert [m.id for m in world.scheduled(viewer=demo.me, peer=peer)] == [second["message_id"]]
