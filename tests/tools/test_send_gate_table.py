"""The send gate over every combination of its conditions, through the real tool.

Each row drives ``send_message`` through the MCP SDK in process, over real Telethon and
the sandbox world, and counts the Telegram requests the world received: a real send
happens in exactly one row; every other row is a successful draft naming the first
failing condition, and Telegram is not called at all.
"""

from __future__ import annotations

import contextlib
import itertools

from mctltg.accounts import GATE_ORDER, Sending, SendPolicy
from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import ALL_SCOPES, SEND, connect, deps_for, signed_in
from tests.harness.world import SEND_REQUEST, texts_in

SUBJECT = "tg:gate-table"
#: (authenticated, ALLOW_SEND, send scope, send_enabled, per-peer limit not spent)
ROWS = list(itertools.product((True, False), repeat=5))


def expected_reason(row: tuple[bool, ...]) -> str | None:
    for holds, code in zip(row, GATE_ORDER, strict=True):
        if not holds:
            return code
    return None


async def test_a_real_send_happens_in_exactly_one_row_of_the_gate_table(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    assert len(ROWS) == 32
    identity = await services.identities.ensure(SUBJECT)
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me, subject=SUBJECT)
    # A limit of one send per hour: one peer has it spent already, the other not.
    sending = Sending(
        directory=services.directory,
        sends=services.sends,
        policy=SendPolicy(limit_per_hour=1, duplicate_window=60),
        digest_key=b"table" * 8,
    )
    fresh, spent = f"user:{demo.contacts[0]}", f"user:{demo.contacts[1]}"
    earlier = await services.sends.begin(
        identity_id=identity.id,
        account_id=account_id,
        key="key:earlier",
        explicit_key=True,
        peer=spent,
        text_digest="0" * 64,
        limit_per_hour=1,
        duplicate_window=60,
    )
    assert earlier.record is not None
    await services.sends.complete(earlier.record.id, message_id=1, sent_date=0.0, result_peer=spent)

    real_sends = []
    for number, row in enumerate(ROWS):
        authenticated, allow_send, has_scope, consent, under_limit = row
        await services.accounts.set_send_enabled(account_id, consent)
        deps = deps_for(services, operator_mode=False, allow_send=allow_send, sending=sending)
        peer = fresh if under_limit else spent
        text = f"Gate table row {number}: hello from the tests"
        scopes = ALL_SCOPES if has_scope else ALL_SCOPES - {SEND}
        mark = world.mark()
        with signed_in(SUBJECT, scopes) if authenticated else contextlib.nullcontext():
            async with connect(deps) as client:
                result = await client.call_tool("send_message", {"peer": peer, "text": text})
        calls = world.calls_since(mark, user_id=demo.me)
        assert not result.is_error, (row, result)
        out = result.structured_content
        assert out is not None
        reason = expected_reason(row)
        if reason is None:
            real_sends.append(row)
            assert out["sent"] is True
            assert out["mode"] == "send"
            assert isinstance(out["message_id"], int)
            assert out["date"].endswith("Z")
            assert calls.count(SEND_REQUEST) == 1
            assert texts_in(world, viewer=demo.me, peer=peer, text=text) == 1
        else:
            assert out["sent"] is False, row
            assert out["mode"] == "draft", row
            assert out["dry_reason_code"] == reason, row
            assert out["dry_reason"]
            assert out["text"] == text
            assert ("hint" in out) == (reason == "send_enabled"), row
            assert calls == [], (row, calls)
            assert texts_in(world, viewer=demo.me, peer=peer, text=text) == 0
    assert real_sends == [(True, True, True, True, True)]


async def test_a_real_reaction_happens_in_exactly_one_row_of_the_same_gate_table(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    identity = await services.identities.ensure(SUBJECT)
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me, subject=SUBJECT)
    sending = Sending(
        directory=services.directory,
        sends=services.sends,
        policy=SendPolicy(limit_per_hour=1, duplicate_window=60),
        digest_key=b"table" * 8,
    )
    fresh, spent = f"user:{demo.contacts[0]}", f"user:{demo.contacts[1]}"
    await services.sends.begin(
        identity_id=identity.id,
        account_id=account_id,
        key="key:earlier",
        explicit_key=True,
        peer=spent,
        text_digest="0" * 64,
        limit_per_hour=1,
        duplicate_window=60,
    )
    real = []
    for row in ROWS:
        authenticated, allow_send, has_scope, consent, under_limit = row
        await services.accounts.set_send_enabled(account_id, consent)
        deps = deps_for(services, operator_mode=False, allow_send=allow_send, sending=sending)
        peer = fresh if under_limit else spent
        target = world.history(viewer=demo.me, peer=peer)[0].id
        scopes = ALL_SCOPES if has_scope else ALL_SCOPES - {SEND}
        mark = world.mark()
        with signed_in(SUBJECT, scopes) if authenticated else contextlib.nullcontext():
            async with connect(deps) as client:
                result = await client.call_tool(
                    "set_reaction", {"peer": peer, "message_id": target, "emoji": "👍"}
                )
        calls = world.calls_since(mark, user_id=demo.me)
        out = result.structured_content
        assert out is not None
        assert not result.is_error, (row, out)
        reason = expected_reason(row)
        if reason is None:
            real.append(row)
            assert (out["mode"], out["status"]) == ("send", "done")
            assert calls.count("messages.SendReactionRequest") == 1
        else:
            assert (out["mode"], out["dry_reason_code"]) == ("draft", reason), row
            assert calls == [], (row, calls)
    assert real == [(True, True, True, True, True)]
    assert world.history(viewer=demo.me, peer=fresh)[0].reactions == ("👍",)
