"""Sessions exist on disk only sealed: the database file never holds an auth key."""

from __future__ import annotations

from pathlib import Path

from mctltg.app import Services, provision_sandbox_account
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld
from mctltg.telegram import SealedSession


def _database_bytes(settings: Settings) -> bytes:
    base = Path(settings.database_url)
    return b"".join(path.read_bytes() for path in (base, Path(f"{base}-wal")) if path.exists())


async def test_the_database_file_holds_no_plaintext_auth_key(
    services: Services, settings: Settings, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    await services.pool.stop(account_id)  # forces a final write-back of the session
    plaintext = await services.accounts.load_session(account_id)
    assert plaintext is not None
    key = SealedSession.from_bytes(plaintext).auth_key.key
    assert len(key) == 256
    stored = _database_bytes(settings)
    assert key not in stored
    assert key.hex().encode() not in stored
    assert key[:16] not in stored
    assert plaintext[:40] not in stored
