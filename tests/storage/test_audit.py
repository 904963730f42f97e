"""The audit log's keyed chains: appended in order, group-committed, and every kind of tampering shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import trio

from mctltg.cli import main
from mctltg.crypto import new_key
from mctltg.errors import StorageError
from mctltg.sandbox.testing import ManualClock
from mctltg.storage import AuditLog, Database, Identities, open_database
from mctltg.storage.audit import audit_key
from mctltg.storage.audit_chain import GENESIS, AuditRow, anchor_mac, head_mac, legacy_hash, link_mac, row_mac


@pytest.fixture
def audit(db: Database, key: bytes, clock: ManualClock) -> AuditLog:
    return AuditLog(db, key=audit_key(key), clock=clock)


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


def rechain(db_path: str, mac_key: bytes) -> None:
    """What a database writer who knows the algorithm does after editing: recompute everything."""
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        heads: dict[str, tuple[int, int, int, str]] = {}
        for stored in conn.execute("SELECT * FROM audit_log ORDER BY id").fetchall():
            row = AuditRow(
                identity_id=stored["identity_id"],
                ts_ms=stored["ts_ms"],
                tool=stored["tool"],
                outcome=stored["outcome"],
                peer_type=stored["peer_type"],
                peer_id=stored["peer_id"],
            )
            chain = "none" if row.identity_id is None else f"identity:{row.identity_id}"
            ordinal, count, _, prev = heads.get(chain, (len(heads) + 1, 0, 0, GENESIS))
            link = link_mac(mac_key, prev, row)
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?, entry_hash = ?, row_mac = ? WHERE id = ?",
                (prev, link, row_mac(mac_key, link, row.outcome), stored["id"]),
            )
            heads[chain] = (ordinal, count + 1, stored["id"], link)
        conn.execute("DELETE FROM audit_chains")
        for chain, (ordinal, count, head_id, link) in heads.items():
            conn.execute(
                "INSERT INTO audit_chains VALUES (?, ?, ?, ?, ?, ?)",
                (
                    chain,
                    ordinal,
                    count,
                    head_id,
                    link,
                    head_mac(mac_key, chain, ordinal, count, head_id, link),
                ),
            )
        total = sum(count for _, count, _, _ in heads.values())
        conn.execute(
            "UPDATE audit_anchor SET chains = ?, rows = ?, mac = ?",
            (len(heads), total, anchor_mac(mac_key, len(heads), total)),
        )


async def test_an_edited_row_with_every_hash_recomputed_without_the_key_is_detected(
    audit: AuditLog, identities: Identities, db_path: str, key: bytes
) -> None:
    await fill(audit, identities)
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE audit_log SET outcome = 'ok' WHERE tool = 'pin_message'")
    rechain(db_path, audit_key(new_key()))  # the attacker's best guess at the key
    verdict = await audit.verify()
    assert not verdict.intact
    assert verdict.problem is not None
    assert "was changed after it was written" in verdict.problem
    rechain(db_path, audit_key(key))  # only the key holder could do this
    assert (await audit.verify()).intact


async def test_dropping_the_newest_rows_of_a_chain_is_detected(
    audit: AuditLog, identities: Identities, db_path: str
) -> None:
    ada, _ = await fill(audit, identities)
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM audit_log WHERE tool = 'pin_message'")  # ada's newest row
    verdict = await audit.verify()
    assert not verdict.intact
    assert verdict.problem == (
        f"the chain of identity {ada} was cut: its keyed head records 3 rows ending at row 5, "
        "but 2 rows end at row 4 (the newest rows were removed)"
    )


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            ["DELETE FROM audit_log WHERE identity_id = {bob}"],
            "the whole chain of identity {bob} (1 row) was removed",
        ),
        (
            [
                "DELETE FROM audit_log WHERE identity_id = {bob}",
                "DELETE FROM audit_chains WHERE chain = 'identity:{bob}'",
            ],
            "1 whole chain(s) were removed, head records included",
        ),
        (
            ["PRAGMA foreign_keys = ON", "DELETE FROM identities WHERE id = {bob}"],
            "the whole chain of identity {bob} (1 row) was removed",
        ),
        (["DELETE FROM audit_anchor"], "the audit log's keyed anchor record was removed"),
        (["UPDATE audit_anchor SET rows = rows - 1"], "the audit log's keyed anchor record was changed"),
    ],
)
async def test_removing_a_whole_chain_or_the_anchor_is_detected(
    audit: AuditLog, identities: Identities, db_path: str, tamper: list[str], problem: str
) -> None:
    _, bob = await fill(audit, identities)
    with sqlite3.connect(db_path) as conn:
        for statement in tamper:
            conn.execute(statement.format(bob=bob))
    verdict = await audit.verify()
    assert not verdict.intact
    assert verdict.problem == problem.format(bob=bob)


async def test_concurrent_appends_commit_in_fewer_transactions_and_every_row_is_there(
    audit: AuditLog, identities: Identities, db: Database
) -> None:
    people = [(await identities.ensure(f"tg:{n}")).id for n in range(1, 4)]
    before = db.statistics().writes
    calls = 30
    async with trio.open_nursery() as nursery:
        for n in range(calls):
            nursery.start_soon(
                lambda n=n: audit.append(identity_id=people[n % 3], tool=f"tool{n}", outcome="ok")
            )
    transactions = db.statistics().writes - before
    assert transactions < calls
    rows = [entry for person in people for entry in await audit.page(person, limit=100)]
    assert sorted(entry.tool for entry in rows) == sorted(f"tool{n}" for n in range(calls))
    verdict = await audit.verify()
    assert verdict.intact, verdict.problem
    assert (verdict.rows, verdict.chains) == (calls, 3)


async def test_a_row_that_cannot_be_written_fails_alone_in_its_batch(
    audit: AuditLog, identities: Identities
) -> None:
    ada = (await identities.ensure("tg:1")).id
    results: dict[str, object] = {}

    async def append(name: str, identity_id: int) -> None:
        try:
            results[name] = await audit.append(identity_id=identity_id, tool=name, outcome="ok")
        except StorageError as exc:
            results[name] = exc

    async with trio.open_nursery() as nursery:
        nursery.start_soon(append, "first", ada)
        nursery.start_soon(append, "second", ada)
        nursery.start_soon(append, "nobody", 999)  # no such identity
        nursery.start_soon(append, "third", ada)
    assert isinstance(results["nobody"], StorageError)
    assert sorted(entry.tool for entry in await audit.page(ada, limit=10)) == ["first", "second", "third"]
    assert (await audit.verify()).intact


async def test_rows_written_before_keying_are_keyed_once_if_their_plain_chain_verifies(
    audit: AuditLog, identities: Identities, db_path: str
) -> None:
    ada = (await identities.ensure("tg:1")).id
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        prev = GENESIS
        for n in range(3):  # rows as the unkeyed version wrote them
            cursor = conn.execute(
                "INSERT INTO audit_log (identity_id, ts_ms, tool, outcome, prev_hash, entry_hash)"
                " VALUES (?, ?, ?, 'ok', ?, ?)",
                (ada, n, f"tool{n}", prev, f"placeholder{n}"),
            )
            stored = conn.execute("SELECT * FROM audit_log WHERE id = ?", (cursor.lastrowid,)).fetchone()
            prev = legacy_hash(prev, stored)
            conn.execute("UPDATE audit_log SET entry_hash = ? WHERE id = ?", (prev, cursor.lastrowid))
    unkeyed = await audit.verify()
    assert unkeyed.intact
    assert not unkeyed.keyed
    assert await audit.adopt_unkeyed_rows() == 3
    assert await audit.adopt_unkeyed_rows() == 0  # once
    keyed = await audit.verify()
    assert keyed.intact
    assert keyed.keyed
    assert (keyed.rows, keyed.chains) == (3, 1)
    with sqlite3.connect(db_path) as conn:  # an unkeyed row slipped in later does not pass
        conn.execute(
            "INSERT INTO audit_log (identity_id, ts_ms, tool, outcome, prev_hash, entry_hash)"
            " VALUES (?, 9, 'forged', 'ok', ?, 'forged')",
            (ada, keyed_head(db_path)),
        )
    forged = await audit.verify()
    assert forged.problem is not None
    assert "carries no MAC" in forged.problem


def keyed_head(db_path: str) -> str:
    with sqlite3.connect(db_path) as conn:
        return str(conn.execute("SELECT entry_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0])


def test_the_verify_command_exits_1_on_a_tampered_log(
    db_path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def write_rows() -> None:
        async with open_database(db_path) as database:
            await fill(AuditLog(database, key=audit_key(bytes.fromhex("ab" * 32))), Identities(database))

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
    assert "BROKEN: row 5 (identity 1) was changed after it was written" in capsys.readouterr().out
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE audit_log SET tool = 'pin_message' WHERE id = 5")
        conn.execute("DELETE FROM audit_log WHERE id = 5")
    assert main(["--env-file", str(env_file), "audit", "verify"]) == 1
    assert "(the newest rows were removed)" in capsys.readouterr().out


async def test_after_an_encryption_key_rotation_the_log_is_rekeyed_once_and_keeps_verifying(
    audit: AuditLog, identities: Identities, db: Database, key: bytes, clock: ManualClock
) -> None:
    await fill(audit, identities)
    old = audit_key(key)
    rotated = AuditLog(db, key=audit_key(new_key()), clock=clock)
    assert not (await rotated.verify()).intact
    verdict, under_previous = await rotated.verify_with([old])
    assert verdict.intact
    assert under_previous
    assert await rotated.rekey([old]) == 5
    assert await rotated.rekey([old]) == 0  # once
    await rotated.append(identity_id=None, tool="list_dialogs", outcome="ok")
    verdict = await rotated.verify()
    assert verdict.intact, verdict.problem
    assert (verdict.rows, verdict.chains) == (6, 3)


async def test_callers_that_give_up_while_queued_do_not_stop_the_others(
    audit: AuditLog, identities: Identities
) -> None:
    ada = (await identities.ensure("tg:1")).id
    kept: list[str] = []

    async def patient(name: str) -> None:
        await audit.append(identity_id=ada, tool=name, outcome="ok")
        kept.append(name)

    async def impatient(name: str) -> None:
        with trio.CancelScope() as scope:
            scope.cancel()  # gives up at its first checkpoint: while queued behind the leader
            await audit.append(identity_id=ada, tool=name, outcome="ok")

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for n in range(12):
                nursery.start_soon(patient if n % 3 else impatient, f"call{n}")
    written = sorted(entry.tool for entry in await audit.page(ada, limit=50))
    assert set(kept) <= set(written)
    assert len(kept) == 8
    assert (await audit.verify()).intact


async def test_a_row_names_its_account_and_changing_the_account_breaks_the_chain(
    audit: AuditLog, identities: Identities, db_path: str
) -> None:
    ada, _ = await fill(audit, identities)
    entry = await audit.append(identity_id=ada, tool="get_messages", outcome="ok", account_id=3)
    assert (await audit.verify()).intact
    assert (await audit.page(ada, limit=1))[0].account_id == entry.account_id == 3
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE audit_log SET account_id = 4 WHERE id = ?", (entry.id,))
    verdict = await audit.verify()
    assert verdict.broken_row == entry.id
