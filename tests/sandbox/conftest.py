"""Fixtures for the sandbox tests: a hand-moved clock and a world that uses it."""

from __future__ import annotations

import pytest

from mctltg.sandbox import SandboxWorld
from mctltg.sandbox.testing import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def world(clock: ManualClock) -> SandboxWorld:
    return SandboxWorld(clock=clock)
