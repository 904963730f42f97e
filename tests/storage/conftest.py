"""Fixtures for storage tests: a fresh database file per test, and the repositories on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mctltg.crypto import Sealer, new_key
from mctltg.sandbox.testing import ManualClock
from mctltg.storage import Accounts, Database, Identities, open_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "mctltg.sqlite3")


@pytest.fixture
async def db(db_path: str) -> AsyncIterator[Database]:
    async with open_database(db_path, timeout=5) as database:
        yield database


@pytest.fixture
def key() -> bytes:
    return new_key()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def identities(db: Database, clock: ManualClock) -> Identities:
    return Identities(db, clock=clock)


@pytest.fixture
def accounts(db: Database, key: bytes, clock: ManualClock) -> Accounts:
    return Accounts(db, Sealer(key), clock=clock)
