"""Shared fixtures: a sandbox world, settings over a temporary database, running services."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mctltg.app import Services, open_services
from mctltg.config import Settings, load_settings
from mctltg.sandbox import DemoWorld, SandboxWorld, seed_demo_world


@pytest.fixture
def world() -> SandboxWorld:
    return SandboxWorld()


@pytest.fixture
def demo(world: SandboxWorld) -> DemoWorld:
    return seed_demo_world(world)


def sandbox_settings(tmp_path: Path, **overrides: str) -> Settings:
    """Loopback, operator-mode settings over the sandbox and a database in ``tmp_path``."""
    values = {
        "ADDR": "127.0.0.1:0",
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
        "DATABASE_URL": str(tmp_path / "test.db"),
        "ENCRYPTION_KEY": secrets.token_hex(32),
        "TG_CALL_TIMEOUT": "2",
        "TG_CONNECT_TIMEOUT": "2",
        "TG_DEVICE_NAME": "mctltg tests",
    }
    values.update(overrides)
    return load_settings(environ={}, overrides=values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sandbox_settings(tmp_path)


@pytest.fixture
async def services(settings: Settings, world: SandboxWorld, demo: DemoWorld) -> AsyncIterator[Services]:
    async with open_services(settings, world=world) as running:
        yield running
