"""The audit log's hash chains: appended in order, per identity, and an edited row shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import trio

from mctltg.cli import main
from mctltg.storage import AuditLog, Database, Identities, open_database

from .support import FakeClock


@pytest.fixture
def audit(db: Database, clock: FakeClock) -> AuditLog:
    return AuditLog(db, clock=clock)


async def fill(audit: AuditLog, identities: Identities) -> tuple[int, int]:
    ada = (await identities.ensure("tg:1")).id
    bob = (await identities.ensure("tg:2")).id
    await audit.append(identity_id=ada, tool="list_dialogs", outcome="ok")
    await audit.append(identity_id=bob, tool="send_message", outcome="draft", peer_type="user", peer_id=7)
    await audit.append(identity_id=None, tool="send_message", outcome="draft")
    await audit.append(identity_id=ada, tool="send_message", outcome="ok", peer_type="channel", peer_id=9)
    await audit.append(identity_id=ada, tool="pin_message", outcome="error:permission_denied")
    return ada, bob


async def test_an_untouched_log_verifies_and_pages_per_identity(
    audit: AuditLog, identities: Identities
) -> None:
    ada, _ = await fill(audit, identities)
    verdict = await audit.verify()
    assert verdict.intact
    assert (verdict.rows, verdict.chains) == (5, 3)
    page = await audit.page(ada, limit=2)
    assert [e.tool for e in page] == ["pin_message", "send_message"]
    older = await audit.page(ada, limit=2, before=page[-1].id)
    assert [e.tool for e in older] == ["list_dialogs"]
    assert older[0].prev_hash == "0" * 64


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET outcome = 'ok' WHERE tool = 'pin_message'",
        "UPDATE audit_log SET peer_id = 10 WHERE peer_id = 9",
        "UPDATE audit_log SET ts_ms = ts_ms + 1 WHERE tool = 'list_dialogs'",
        "DELETE FROM audit_log WHERE peer_id = 9",
    ],
)
async def test_an_edited_or_removed_row_breaks_the_chain(
    audit: AuditLog, identities: Identities, db_path: str, tamper: str
) -> None:
    await fill(audit, identities)
    with sqlite3.connect(db_path) as conn:
        conn.execute(tamper)
    verdict = await audit.verify()
    assert not verdict.intact
    assert verdict.problem is not None
    assert f"row {verdict.broken_row}" in verdict.problem


async def test_deleting_an_identity_removes_its_chain_and_the_rest_still_verifies(
    audit: AuditLog, identities: Identities, db_path: str
) -> None:
    _, bob = await fill(audit, identities)
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM identities WHERE id = ?", (bob,))
    verdict = await audit.verify()
    assert verdict.intact
    assert verdict.rows == 4


def test_the_verify_command_exits_1_on_a_tampered_log(
    db_path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def write_rows() -> None:
        async with open_database(db_path) as database:
            await fill(AuditLog(database), Identities(database))

    trio.run(write_rows)
    for name, value in {
        "DATABASE_URL": db_path,
        "ENCRYPTION_KEY": "ab" * 32,
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
    }.items():
        monkeypatch.setenv(name, value)
    env_file = tmp_path / "none.env"
    assert main(["--env-file", str(env_file), "audit", "verify"]) == 0
    assert "intact: 5 rows in 3 chains" in capsys.readouterr().out
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE audit_log SET tool = 'list_dialogs' WHERE tool = 'pin_message'")
    assert main(["--env-file", str(env_file), "audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out
