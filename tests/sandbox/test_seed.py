"""The demo world: what it promises the demo and the product's tests."""

from __future__ import annotations

from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.sandbox.testing import ManualClock

NOW = 1_750_000_000.0


def test_the_demo_world_is_deterministic_for_a_given_now() -> None:
    first, second = SandboxWorld(clock=ManualClock(NOW)), SandboxWorld(clock=ManualClock(NOW))
    demo_a, demo_b = seed_demo_world(first), seed_demo_world(second)
    assert demo_a == demo_b
    for contact in demo_a.contacts:
        assert first.history(viewer=demo_a.me, peer=f"user:{contact}") == second.history(
            viewer=demo_b.me, peer=f"user:{contact}"
        )


def test_the_demo_account_has_the_promised_chats() -> None:
    world = SandboxWorld(clock=ManualClock(NOW))
    demo = seed_demo_world(world)
    assert demo.me_phone.startswith("+99966")
    assert demo.second_phone.startswith("+99966")
    assert len(demo.contacts) >= 5
    for contact in demo.contacts:
        chat = world.history(viewer=demo.me, peer=f"user:{contact}")
        assert any(m.out for m in chat), "Ada writes in every chat"
        assert any(not m.out for m in chat), "and every contact answers"
        dates = [m.date for m in chat]
        assert dates == sorted(dates, reverse=True)
        assert NOW - 4 * 86_400 < min(dates) < NOW
    group = world.history(viewer=demo.me, peer=f"chat:{demo.group}")
    mention = next(m for m in group if "@ada" in m.text)
    assert mention.reply_to is not None
    assert next(m for m in group if m.id == mention.reply_to).out
    channel = world.history(viewer=demo.me, peer=f"channel:{demo.channel}")
    assert sum(m.pinned for m in channel) == 1
    assert all(m.sender is None for m in channel if not m.service)
    supergroup = world.history(viewer=demo.me, peer=f"channel:{demo.supergroup}")
    assert any(m.service for m in supergroup[:-1]), "a 'joined' service message besides the creation"
    saved = world.history(viewer=demo.me, peer=f"user:{demo.me}")
    assert [m.text for m in saved] == ["Note to self: Bernoulli table, column 7 looks off."]


def test_every_seeded_text_is_plain_harmless_chat() -> None:
    world = SandboxWorld(clock=ManualClock(NOW))
    demo = seed_demo_world(world)
    peers = [f"user:{c}" for c in demo.contacts] + [
        f"chat:{demo.group}",
        f"channel:{demo.channel}",
        f"channel:{demo.supergroup}",
    ]
    texts = [m.text for peer in peers for m in world.history(viewer=demo.me, peer=peer)]
    assert texts
    for text in texts:
        lowered = text.lower()
        assert "password" not in lowered
        assert "login code" not in lowered
        assert "http" not in lowered
