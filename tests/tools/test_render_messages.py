"""Compact read results: fewer bytes, and every fact still there to be read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from benchmarks.sandbox_bench import OUTPUT_BUDGET, seed_output_chat
from mctltg.app import Services
from mctltg.sandbox import SandboxWorld
from mctltg.telegram.model import MediaInfo, Message
from mctltg.tools.content import NOTICE, new_nonce
from mctltg.tools.render_messages import render_messages
from tests.harness.mcp_client import tools_for

DAY = dt.datetime(2026, 3, 14, tzinfo=dt.UTC).timestamp()

Fact = tuple[int, str, int, str | None, str, int | None, str | None, str | None]


def _message(index: int, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "id": 100 - index,
        "peer": "chat:7",
        "peer_title": "Engine club",
        "sender": None,
        "sender_name": None,
        "date": DAY + 3600 * 9 + 61 * index,
        "text": f"note {index}",
    }
    return Message(**(values | fields))


def _expected(messages: list[Message], *, legend: bool) -> list[Fact]:
    """What a reader must learn of each visible message; ``from`` as that form gives it."""
    facts = []
    for m in messages:
        if m.service:
            continue
        if m.out:
            sender = "me"
        elif m.peer.startswith("user:"):
            sender = m.peer
        elif m.sender is None:
            sender = None
        else:
            sender = m.sender if legend or m.sender.startswith("@") else m.sender_name
        media = m.media.type if m.media else None
        facts.append((m.id, m.peer, int(m.date), sender, m.text, m.reply_to, media, m.link))
    return facts


def _read_back(result: dict[str, Any], nonce: str) -> list[Fact]:
    """Each message's facts, read the way a model has to: top-level fields fill in the rest."""
    facts = []
    for m in result["messages"]:
        peer = m.get("peer", result.get("peer"))
        assert peer is not None
        date = f"{result['day']}T{m['date']}Z" if "day" in result else m["date"]
        seconds = int(dt.datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp())
        if m.get("out"):
            sender: str | None = "me"
        elif "from" in m:
            sender = m["from"]
        else:
            sender = peer if peer.startswith("user:") else None
        text = ""
        if "text" in m:
            opening, closing = f"<msg-{nonce}>", f"</msg-{nonce}>"
            assert m["text"].startswith(opening)
            assert m["text"].endswith(closing)
            text = m["text"][len(opening) : -len(closing)]
        media = m["media"]["kind"] if "media" in m else None
        facts.append((m["id"], peer, seconds, sender, text, m.get("reply_to"), media, m.get("link")))
    return facts


def test_a_group_page_gives_chat_and_day_once_and_names_in_a_legend() -> None:
    members = [(f"user:{40 + n}", f"Member {n} Longname") for n in range(4)]
    messages = [
        _message(
            i,
            sender=members[i % 4][0],
            sender_name=members[i % 4][1],
            reply_to=(100 - i + 1) if i % 9 == 1 else None,
        )
        for i in range(50)
    ]
    messages[5] = _message(5, out=True)
    messages[7] = _message(7, service=True, text="")
    messages[11] = _message(
        11, sender="@ada", sender_name="Ada", text="", media=MediaInfo(type="photo", size=9)
    )
    nonce = new_nonce()
    result = render_messages(messages, nonce)
    assert result["peer"] == "chat:7"
    assert result["day"] == "2026-03-14"
    assert result["names"] == {"chat:7": "Engine club", **dict(members), "@ada": "Ada"}
    assert all(
        set(m) <= {"id", "from", "date", "text", "reply_to", "out", "media"} for m in result["messages"]
    )
    assert _read_back(result, nonce) == _expected(messages, legend=True)


def test_a_private_chat_leaves_out_the_sender_it_implies() -> None:
    messages = [
        _message(i, peer="user:9", peer_title="", sender="@charles", sender_name="Charles", out=i % 2 == 0)
        for i in range(10)
    ]
    nonce = new_nonce()
    result = render_messages(messages, nonce)
    assert all("from" not in m for m in result["messages"])
    assert result.get("peer_title", result.get("names", {}).get("user:9")) == "Charles"
    assert _read_back(result, nonce) == _expected(messages, legend="names" in result)


def test_results_across_chats_and_days_keep_peer_and_full_date_on_each_message() -> None:
    messages = [
        _message(0, peer="channel:3", peer_title="Weekly", link="https://t.me/weekly/100"),
        _message(1, peer="user:9", peer_title="Charles", date=DAY - 86400 + 5),
        _message(2, sender="@mary", sender_name="Mary"),
    ]
    nonce = new_nonce()
    result = render_messages(messages, nonce)
    assert "peer" not in result
    assert "day" not in result
    assert [m["date"] for m in result["messages"]][:2] == ["2026-03-14T09:00:00Z", "2026-03-13T00:00:05Z"]
    assert _read_back(result, nonce) == _expected(messages, legend="names" in result)


async def test_a_fifty_message_page_stays_within_its_byte_budget_and_loses_no_fact(
    services: Services, world: SandboxWorld
) -> None:
    me, friend = seed_output_chat(world)
    async with tools_for(services, me) as client:
        result = await client.call_tool("get_messages", {"peer": f"user:{friend}", "limit": 50})
    text = "".join(item.text for item in result.content if item.type == "text")
    page = result.structured_content
    assert page is not None
    assert not result.is_error
    assert len(text.encode()) <= OUTPUT_BUDGET, f"{len(text.encode())} B of text for 50 messages"
    nonce = page["notice"].split("<msg-")[1].split(">")[0]
    assert page["notice"] == NOTICE.format(nonce=nonce)
    history = [m for m in world.history(viewer=me, peer=f"user:{friend}") if not m.service][:50]
    assert _read_back(page, nonce) == [
        (
            m.id,
            f"user:{friend}",
            int(m.date),
            "me" if m.out else f"user:{friend}",
            m.text,
            m.reply_to,
            None,
            None,
        )
        for m in history
    ]
    assert page.get("peer_title", page.get("names", {}).get(f"user:{friend}")) == "Charles Babbage"
