"""``get_unread_messages`` over real Telethon and the sandbox: content, priority, RPC cost."""

from __future__ import annotations

from mctltg.app import Services
from mctltg.sandbox import DemoWorld, SandboxMedia, SandboxWorld
from tests.harness.mcp_client import call, error_of, tools_for, unwrap


async def test_demo_unread_comes_back_per_chat_in_priority_order(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with tools_for(services, demo.me) as client:
        result = await call(client, "get_unread_messages", {})
    chats = result["chats"]
    counts = {c["peer"]: (c["unread_count"], c["returned"]) for c in chats}
    assert counts[f"chat:{demo.group}"] == (3, 3)
    assert counts[f"channel:{demo.channel}"] == (3, 3)
    assert counts[f"channel:{demo.supergroup}"] == (2, 2)
    assert counts[f"channel:{demo.forum}"] == (4, 4)
    assert sum(c["returned"] for c in chats) == len(result["messages"]) == 1 + 2 + 3 + 3 + 3 + 2 + 4
    order = [c["peer"] for c in chats]
    # direct messages and the group that mentions Ada, then the channel, then the muted supergroup
    assert order[-2:] == [f"channel:{demo.channel}", f"channel:{demo.supergroup}"]
    assert next(c for c in chats if c["peer"] == f"chat:{demo.group}")["mentioned"] is True
    assert chats[-1]["muted"] is True
    assert "DATA" in result["notice"]
    assert all(m["text"].startswith("<msg-") for m in result["messages"] if "text" in m)
    photo = [m for m in result["messages"] if m.get("media", {}).get("kind") == "photo"]
    assert len(photo) == 1
    assert photo[0]["media"]["width"] == 1600
    texts = [unwrap(m["text"]) for m in result["messages"] if "text" in m]
    assert "Bring the diagram if you can." in texts
    assert not any(m.get("out") for m in result["messages"])


def _twenty_chats(world: SandboxWorld) -> tuple[int, list[int], dict[str, list[str]]]:
    """20 private chats: a read history over the account's last ~500 ids, then an
    interleaved burst of 1-5 unread messages per chat. Returns (me, friends, unread texts).
    """
    me = world.add_user(first_name="Reader", username="reader_20")
    friends = [world.add_user(first_name=f"Friend {i}") for i in range(20)]
    for round_ in range(25):  # friend k goes quiet after round 24 - k: read marks spread out
        for k, friend in enumerate(friends):
            if round_ <= 24 - k:
                world.send(sender=friend, peer=f"user:{me}", text=f"old {round_} from {k}")
                if round_ % 4 == 0:
                    world.send(sender=me, peer=f"user:{friend}", text=f"reply {round_} to {k}")
    for friend in friends:
        world.read(user_id=me, peer=f"user:{friend}")
    unread: dict[str, list[str]] = {f"user:{f}": [] for f in friends}
    for round_ in range(5):
        for k, friend in enumerate(friends):
            if round_ < 1 + k % 5:
                text = f"new {round_} from {k}"
                world.send(sender=friend, peer=f"user:{me}", text=text)
                unread[f"user:{friend}"].append(text)
    return me, friends, unread


async def test_unread_across_twenty_private_chats_costs_at_most_three_rpcs(
    services: Services, world: SandboxWorld
) -> None:
    me, friends, unread = _twenty_chats(world)
    top = max(m.id for f in friends for m in world.history(viewer=me, peer=f"user:{f}"))
    oldest_read = min(
        max(m.id for m in world.history(viewer=me, peer=f"user:{f}") if m.text.startswith("old"))
        for f in friends
    )
    assert top - oldest_read < 500  # the scenario the issue sets: every read mark in the last 500 ids
    async with tools_for(services, me) as client:
        mark = world.mark()
        result = await call(client, "get_unread_messages", {"limit": 200})
        calls = world.calls_since(mark, user_id=me)
    print(f"\nunread across 20 private chats: {len(calls)} RPCs {calls} (one history call each: 21)")
    assert len(calls) <= 3
    assert calls[0] == "messages.GetDialogsRequest"
    got: dict[str, list[str]] = {}
    for message in result["messages"]:
        got.setdefault(message["peer"], []).append(unwrap(message["text"]))
    assert got == unread  # every unread message, oldest first within its chat, nothing read
    assert {c["peer"]: c["returned"] for c in result["chats"]} == {p: len(t) for p, t in unread.items()}


async def test_sparse_ids_fall_back_to_at_most_one_history_call_per_chat(
    services: Services, world: SandboxWorld
) -> None:
    me = world.add_user(first_name="Sparse")
    noise = world.add_user(first_name="Noise")
    friends = [world.add_user(first_name=f"Pen pal {i}") for i in range(5)]
    expected: dict[str, list[str]] = {}
    for k, friend in enumerate(friends):
        world.send(sender=friend, peer=f"user:{me}", text=f"read {k}")
        world.read(user_id=me, peer=f"user:{friend}")
        for i in range(2):
            for j in range(300):  # hundreds of ids between unread messages
                world.send(sender=me, peer=f"user:{noise}", text=f"noise {k} {i} {j}")
            world.send(sender=friend, peer=f"user:{me}", text=f"unread {k} {i}")
            expected.setdefault(f"user:{friend}", []).append(f"unread {k} {i}")
    async with tools_for(services, me) as client:
        mark = world.mark()
        result = await call(client, "get_unread_messages", {"limit": 200})
        calls = world.calls_since(mark, user_id=me)
    assert len(calls) <= 1 + len(friends)
    assert "messages.GetHistoryRequest" in calls  # the ranges were too sparse to batch
    got: dict[str, list[str]] = {}
    for message in result["messages"]:
        got.setdefault(message["peer"], []).append(unwrap(message["text"]))
    assert got == expected


async def test_a_tight_limit_keeps_mentions_and_direct_messages_before_groups_channels_and_muted(
    services: Services, world: SandboxWorld
) -> None:
    me = world.add_user(first_name="Busy", username="busy_person")
    friend = world.add_user(first_name="Friend")
    muted_friend = world.add_user(first_name="Muted friend")
    poster = world.add_user(first_name="Poster")
    quiet_group = world.create_group(title="Quiet group", creator=poster, members=[me])
    loud_group = world.create_group(title="Mentions group", creator=poster, members=[me])
    channel = world.create_channel(title="News", creator=poster, members=[me])
    for peer in (f"chat:{quiet_group}", f"chat:{loud_group}", f"channel:{channel}"):
        world.read(user_id=me, peer=peer)
    # newest activity goes to the least important chats, so recency alone would get it wrong
    world.send(sender=friend, peer=f"user:{me}", text="direct one")
    world.send(sender=poster, peer=f"chat:{loud_group}", text="hey @busy_person, look")
    world.send(sender=muted_friend, peer=f"user:{me}", text="muted direct")
    world.mute(user_id=me, peer=f"user:{muted_friend}")
    world.send(sender=poster, peer=f"chat:{quiet_group}", text="group chatter")
    world.send(
        sender=poster, peer=f"channel:{channel}", text="channel post", media=SandboxMedia(kind="photo")
    )
    async with tools_for(services, me) as client:
        everything = await call(client, "get_unread_messages", {})
        top_three = await call(client, "get_unread_messages", {"limit": 3})
        one_peer = await call(client, "get_unread_messages", {"peer": f"chat:{quiet_group}"})
        bad = await error_of(client, "get_unread_messages", {"limit": 201})
        bad_peer = await error_of(client, "get_unread_messages", {"peer": "general"})
    order = [unwrap(m["text"]) if "text" in m else "<photo>" for m in everything["messages"]]
    # unmuted direct and mentioning chats (newest first), other groups, channels, then muted
    assert order == ["hey @busy_person, look", "direct one", "group chatter", "channel post", "muted direct"]
    assert [unwrap(m["text"]) for m in top_three["messages"]][2] == "group chatter"
    assert [c["returned"] for c in top_three["chats"]] == [1, 1, 1, 0, 0]
    assert [unwrap(m["text"]) for m in one_peer["messages"]] == ["group chatter"]
    assert [c["peer"] for c in one_peer["chats"]] == [f"chat:{quiet_group}"]
    assert (bad["error"], bad["field"]) == ("invalid_input", "limit")
    assert (bad_peer["error"], bad_peer["field"]) == ("invalid_input", "peer")
