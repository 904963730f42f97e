"""The pure send gate: the first failing condition, in order, over every combination."""

from __future__ import annotations

import itertools

from mctltg.accounts import GATE_ORDER, GateFacts, evaluate_gate


def facts(identity: bool, allow: bool, scope: bool, consent: bool, under: bool) -> GateFacts:
    return GateFacts(
        authenticated=identity,
        server_allow_send=allow,
        scope="telegram:messages:send",
        has_scope=scope,
        connected=True,
        send_enabled=consent,
        writes_last_hour=0 if under else 20,
        limit_per_hour=20,
    )


def test_the_first_failing_condition_closes_the_gate_in_every_combination() -> None:
    opened = 0
    for row in itertools.product((True, False), repeat=5):
        decision = evaluate_gate(facts(*row))
        failing = [code for holds, code in zip(row, GATE_ORDER, strict=True) if not holds]
        assert decision.open == (not failing)
        assert decision.code == (failing[0] if failing else None)
        assert (decision.hint is not None) == (decision.code == "send_enabled")
        opened += decision.open
    assert opened == 1


def test_the_reasons_say_what_to_do() -> None:
    closed = evaluate_gate(facts(True, False, True, True, True))
    assert closed.reason is not None
    assert "ALLOW_SEND=true" in closed.reason
    scope = evaluate_gate(facts(True, True, False, True, True))
    assert scope.reason is not None
    assert "telegram:messages:send" in scope.reason
    limit = evaluate_gate(facts(True, True, True, True, False))
    assert limit.reason is not None
    assert "20 per hour" in limit.reason


def test_without_an_account_the_consent_condition_says_to_connect_one() -> None:
    decision = evaluate_gate(
        GateFacts(
            authenticated=True,
            server_allow_send=True,
            scope="telegram:messages:send",
            has_scope=True,
            connected=False,
            send_enabled=False,
        )
    )
    assert decision.code == "send_enabled"
    assert decision.reason is not None
    assert "connect" in decision.reason
    assert decision.hint is None


def test_status_checks_skip_the_per_peer_limit() -> None:
    decision = evaluate_gate(
        GateFacts(
            authenticated=True,
            server_allow_send=True,
            scope="telegram:messages:send",
            has_scope=True,
            connected=True,
            send_enabled=True,
            writes_last_hour=None,
            limit_per_hour=0,
        )
    )
    assert decision.open
