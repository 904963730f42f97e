"""Login codes are rationed per person, per phone number and server-wide, with a time to retry."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mctltg.accounts.code_limits import CodeLimitPolicy, CodeLimits, CodeRequestsLimited

POLICY = CodeLimitPolicy(per_identity=3, per_phone=2, server_wide=5, window=3600.0)


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_one_person_cannot_ask_for_codes_to_number_after_number() -> None:
    limits = CodeLimits(POLICY, clock=Clock())
    for n in range(3):
        limits.admit(1, f"+1555000000{n}")
    with pytest.raises(CodeRequestsLimited, match="by you") as refused:
        limits.admit(1, "+15550000009")
    assert "try again in 60 minutes" in str(refused.value)
    assert "+1555" not in str(refused.value)


def test_nobody_can_flood_one_phone_number_even_across_identities() -> None:
    limits = CodeLimits(POLICY, clock=Clock())
    limits.admit(1, "+15550000001")
    limits.admit(2, "+15550000001")
    with pytest.raises(CodeRequestsLimited, match="for this phone number"):
        limits.admit(3, "+15550000001")
    limits.admit(3, "+15550000002")  # another number is still fine


def test_the_whole_server_stays_below_its_limit() -> None:
    limits = CodeLimits(POLICY, clock=Clock())
    for person in range(5):
        limits.admit(person, f"+1555000010{person}")
    with pytest.raises(CodeRequestsLimited, match="on this server"):
        limits.admit(99, "+15550000199")


def test_the_window_slides_and_the_retry_time_says_when() -> None:
    clock = Clock()
    limits = CodeLimits(POLICY, clock=clock)
    limits.admit(1, "+15550000001")
    clock.now += 1800
    limits.admit(1, "+15550000002")
    limits.admit(1, "+15550000003")
    with pytest.raises(CodeRequestsLimited) as refused:
        limits.admit(1, "+15550000004")
    assert refused.value.retry_after == pytest.approx(1800)
    assert "try again in 30 minutes" in str(refused.value)
    clock.now += 1800
    limits.admit(1, "+15550000004")  # the first request has left the window


def test_a_refused_request_is_not_counted() -> None:
    clock = Clock()
    limits = CodeLimits(POLICY, clock=clock)
    for n in range(3):
        limits.admit(1, f"+1555000000{n}")
    for _ in range(10):
        with pytest.raises(CodeRequestsLimited):
            limits.admit(1, "+15550000009")
    clock.now += 3601
    limits.admit(1, "+15550000009")
