"""``get_messages`` over real Telethon and the sandbox: cursors, shape, compactness."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mctltg.app import Services
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import call, error_of, tools_for, unwrap


def _long_group(world: SandboxWorld) -> tuple[int, int]:
    me = world.add_user(first_name="Archivist")
    others = [world.add_user(first_name=f"Member {i}", last_name="Longname") for i in range(4)]
    group = world.create_group(title="Thousand messages", creator=others[0], members=[me, *others[1:]])
    for i in range(1000):
        sender = me if i % 5 == 0 else others[i % 4]
        world.send(sender=sender, peer=f"chat:{group}", text=f"message {i}")
        if i % 37 == 0:
            world.add_service(actor=others[1], peer=f"chat:{group}", action="pin")
    return me, group


async def test_walking_a_thousand_messages_with_service_messages_has_no_gaps_or_repeats(
    services: Services, world: SandboxWorld
) -> None:
    me, group = _long_group(world)
    history = world.history(viewer=me, peer=f"chat:{group}")
    expected = [m.id for m in history if not m.service]
    assert len(expected) == 1000
    assert len(history) > 1020
    seen: list[int] = []
    pages = 0
    async with tools_for(services, me) as client:
        cursor: int | None = None
        while True:
            arguments: dict[str, object] = {"peer": f"chat:{group}", "limit": 73}
            if cursor is not None:
                arguments["before_id"] = cursor
            page = await call(client, "get_messages", arguments)
            pages += 1
            seen.extend(m["id"] for m in page["messages"])
            if "next_before_id" not in page:
                break
            assert cursor is None or page["next_before_id"] < cursor
            cursor = page["next_before_id"]
            assert pages < 100
    assert seen == expected  # newest first, every message once, service messages left out
    assert pages == -(-len(history) // 73)  # the cursor counts service messages too


async def test_a_page_of_only_service_messages_is_empty_but_still_has_a_cursor(
    services: Services, world: SandboxWorld
) -> None:
    me = world.add_user(first_name="Host")
    guests = [world.add_user(first_name=f"Guest {i}") for i in range(4)]
    group = world.create_group(title="Joins", creator=me, members=[])
    world.send(sender=me, peer=f"chat:{group}", text="welcome")
    for guest in guests:
        world.add_service(actor=guest, peer=f"chat:{group}", action="join")
    async with tools_for(services, me) as client:
        first = await call(client, "get_messages", {"peer": f"chat:{group}", "limit": 3})
        second = await call(
            client,
            "get_messages",
            {"peer": f"chat:{group}", "limit": 3, "before_id": first["next_before_id"]},
        )
    assert first["messages"] == []
    assert "next_before_id" in first
    assert [unwrap(m["text"]) for m in second["messages"]] == ["welcome"]
    assert "next_before_id" not in second


async def test_after_id_bounds_the_page_from_below(services: Services, world: SandboxWorld) -> None:
    me = world.add_user(first_name="Me")
    friend = world.add_user(first_name="Friend")
    ids = [world.send(sender=me, peer=f"user:{friend}", text=f"n{i}") for i in range(10)]
    async with tools_for(services, me) as client:
        page = await call(client, "get_messages", {"peer": f"user:{friend}", "after_id": ids[6]})
    assert [m["id"] for m in page["messages"]] == ids[:6:-1]
    assert all(m["out"] is True and "from" not in m for m in page["messages"])
    assert "next_before_id" not in page


async def test_media_summaries_links_and_replies_come_with_the_message(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        kath = next(
            c
            for c in demo.contacts
            if any(m.text == "" for m in world.history(viewer=demo.me, peer=f"user:{c}"))
        )
        chat = await call(client, "get_messages", {"peer": f"user:{kath}", "limit": 10})
        channel = await call(client, "get_messages", {"peer": "@science_weekly", "limit": 2})
        group = await call(client, "get_messages", {"peer": f"chat:{demo.group}", "limit": 10})
    kinds = {m["media"]["kind"]: m["media"] for m in chat["messages"] if "media" in m}
    photo = world.media(viewer=demo.me, peer=f"user:{demo.photo_chat}", message_id=demo.photo_message_id)
    assert photo is not None
    assert kinds["photo"] == {"kind": "photo", "size": photo.size, "width": 1600, "height": 1200}
    assert kinds["document"]["file_name"] == "trajectory-notes.pdf"
    assert kinds["document"]["mime_type"] == "application/pdf"
    assert all(m["link"] == f"https://t.me/science_weekly/{m['id']}" for m in channel["messages"])
    assert channel["peer"] == f"channel:{demo.channel}"  # one chat: given once, at the top
    assert all("peer" not in m for m in channel["messages"])
    assert all("from" not in m for m in channel["messages"])  # broadcast posts speak as the channel
    reply = next(m for m in group["messages"] if "could you check" in m.get("text", ""))
    assert reply["reply_to"] in {m["id"] for m in group["messages"]}
    assert all(_is_utc_date(m["date"], group.get("day")) for m in group["messages"])


async def test_fifty_messages_fit_in_a_measured_byte_budget_with_each_name_given_once(
    services: Services, world: SandboxWorld
) -> None:
    me, group = _long_group(world)
    async with tools_for(services, me) as client:
        page = await call(client, "get_messages", {"peer": f"chat:{group}", "limit": 50})
    messages = page["messages"]
    names = page["names"]
    size = _bytes({"messages": messages, "names": names})
    inline = [{**m, **({"from": names[m["from"]]} if "from" in m else {})} for m in messages]
    inline_size = _bytes({"peer_title": names[page["peer"]], "messages": inline})
    print(
        f"\nget_messages, 50-message page ({len(messages)} shown, service messages left out): "
        f"{size} B of messages+legend ({size / len(messages):.0f} B/message), "
        f"{_bytes(page)} B whole result with notice; names inline instead: {inline_size} B"
    )
    assert 45 <= len(messages) <= 50
    assert page["peer"] == f"chat:{group}"
    assert set(names) == {f"chat:{group}"} | {m["from"] for m in messages if "from" in m}
    assert all("peer_title" not in m and "peer" not in m for m in messages)
    assert size < inline_size
    assert size / len(messages) < 140


def _is_utc_date(date: str, day: str | None) -> bool:
    """``2024-05-01T09:30:00Z``, or ``09:30:00`` under a result-wide ``day``."""
    full = f"{day}T{date}Z" if day is not None else date
    return dt.datetime.strptime(full, "%Y-%m-%dT%H:%M:%SZ") is not None


def _bytes(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"peer": "general chat"}, "peer"),
        ({"peer": "user:1", "limit": 0}, "limit"),
        ({"peer": "user:1", "limit": 201}, "limit"),
        ({"peer": "user:1", "before_id": 0}, "before_id"),
        ({"peer": "user:1", "before_id": 10, "after_id": 9}, "after_id"),
    ],
)
async def test_bad_arguments_are_one_clear_sentence(
    services: Services, demo: DemoWorld, arguments: dict[str, object], field: str
) -> None:
    async with tools_for(services, demo.me) as client:
        error = await error_of(client, "get_messages", arguments)
    assert (error["error"], error["field"]) == ("invalid_input", field)
    assert "\n" not in error["message"]
    assert "Traceback" not in error["message"]


async def test_an_unknown_peer_says_to_use_list_dialogs(services: Services, demo: DemoWorld) -> None:
    async with tools_for(services, demo.me) as client:
        error = await error_of(client, "get_messages", {"peer": "user:987654"})
    assert error["error"] == "peer_invalid"
    assert "list_dialogs" in error["message"]
