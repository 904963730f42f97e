"""Shared fixtures: a sandbox world, settings over a temporary database, running services.

The helpers behind them live in :mod:`tests.harness`; only fixtures are here, since
pytest finds fixtures in conftest files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mctltg.app import Services, open_services
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld, seed_demo_world
from tests.harness.oauth import Harness, open_harness
from tests.harness.settings import sandbox_settings


@pytest.fixture
def world() -> SandboxWorld:
    return SandboxWorld()


@pytest.fixture
def demo(world: SandboxWorld) -> DemoWorld:
    return seed_demo_world(world)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sandbox_settings(tmp_path)


@pytest.fixture
async def services(settings: Settings, world: SandboxWorld, demo: DemoWorld) -> AsyncIterator[Services]:
    async with open_services(settings, world=world) as running:
        yield running


@pytest.fixture
async def harness(tmp_path: Path, world: SandboxWorld, demo: DemoWorld) -> AsyncIterator[Harness]:
    """An OAuth deployment in process with a registered client (see :class:`Harness`)."""
    async with open_harness(tmp_path, world) as opened:
        yield opened
