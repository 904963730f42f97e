"""The audit log's keyed chain: the MACs that link and seal rows, and the check of all of it.

See :mod:`mctltg.storage.audit` for what each MAC protects. :func:`verify_log` reports
the first problem in one sentence: an edited row, a row that does not link (removed or
reordered), a row without a MAC, a cut chain (newest rows dropped), a whole chain
removed, or a changed or missing anchor. A log whose rows all predate keying is checked
as the plain SHA-256 chain it was, and says so.

Two one-off rewrites live here too, both all-or-nothing in one transaction and both
only for a log that verifies as it is: :func:`adopt_unkeyed` keys the rows written
before keying (once: never after the log has an anchor or a keyed row), and
:func:`rekey` MACs the whole log again under a new ``ENCRYPTION_KEY`` after rotation.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.crypto import constant_time_equal, mac_hex

if TYPE_CHECKING:
    import sqlite3

__all__ = ["GENESIS", "AuditRow", "AuditVerdict", "verify_log"]

logger = logging.getLogger("mctltg.storage.audit")

#: The ``prev_hash`` of the first row of every chain.
GENESIS: Final = "0" * 64
_ROWS: Final = (
    "id, identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev_hash, entry_hash, row_mac, account_id"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRow:
    """A row to append (what a caller says; links and MACs are computed at write time)."""

    identity_id: int | None
    ts_ms: int
    tool: str
    outcome: str
    peer_type: str | None = None
    peer_id: int | None = None
    #: The Telegram account the call used (None: none, or a row from before accounts were recorded).
    account_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditVerdict:
    """What :meth:`AuditLog.verify` found.

    Attributes:
        rows: rows checked.
        chains: chains (identities, plus "no identity") checked.
        broken_row: the id of the first row that does not verify (0 when the problem is
            not one row: a cut chain, a removed chain, a missing anchor), or None.
        problem: one sentence saying what was found.
        keyed: False when every row predates keying and only the plain chain was checked.
    """

    rows: int
    chains: int
    broken_row: int | None = None
    problem: str | None = None
    keyed: bool = True

    @property
    def intact(self) -> bool:
        return self.broken_row is None


def chain_name(identity_id: int | None) -> str:
    return "none" if identity_id is None else f"identity:{identity_id}"


def link_mac(key: bytes, prev: str, row: AuditRow) -> str:
    """The row's link; a row naming its account links under v3, which covers the account too.

    Rows without an account (and every row written before accounts were recorded) keep
    the v2 link, so an existing log verifies unchanged.
    """
    if row.account_id is None:
        return mac_hex(
            key, "audit-link/v2", prev, row.identity_id, row.ts_ms, row.tool, row.peer_type, row.peer_id
        )
    return mac_hex(
        key, "audit-link/v3", prev, row.identity_id, row.ts_ms, row.tool, row.peer_type, row.peer_id,
        row.account_id,
    )  # fmt: skip


def row_mac(key: bytes, link: str, outcome_: str) -> str:
    return mac_hex(key, "audit-row/v2", link, outcome_)


def head_mac(key: bytes, chain: str, ordinal: int, rows: int, head_id: int, head_link: str) -> str:
    return mac_hex(key, "audit-head/v2", chain, ordinal, rows, head_id, head_link)


def anchor_mac(key: bytes, chains: int, rows: int) -> str:
    return mac_hex(key, "audit-anchor/v2", chains, rows)


def legacy_hash(prev: str, row: sqlite3.Row) -> str:
    """The unkeyed SHA-256 link of rows written before the log was keyed (version 1)."""
    digest = hashlib.sha256(b"mctltg-audit-v1")
    for value in (prev, row["identity_id"], row["ts_ms"], row["tool"], row["peer_type"], row["peer_id"],
                  row["outcome"]):  # fmt: skip
        data = b"\xff" if value is None else str(value).encode()
        digest.update(len(data).to_bytes(4, "big"))
        digest.update(data)
    return digest.hexdigest()


def legacy_chain_intact(conn: sqlite3.Connection) -> bool:
    heads: dict[object, str] = {}
    for row in conn.execute(f"SELECT {_ROWS} FROM audit_log ORDER BY id"):
        prev = heads.get(row["identity_id"], GENESIS)
        if str(row["prev_hash"]) != prev or not constant_time_equal(
            legacy_hash(prev, row), str(row["entry_hash"])
        ):
            return False
        heads[row["identity_id"]] = str(row["entry_hash"])
    return True


def set_anchor(conn: sqlite3.Connection, key: bytes, chains: int, rows: int) -> None:
    conn.execute(
        "INSERT INTO audit_anchor (id, chains, rows, mac) VALUES (1, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET chains = excluded.chains, rows = excluded.rows, mac = excluded.mac",
        (chains, rows, anchor_mac(key, chains, rows)),
    )


def adopt_unkeyed(conn: sqlite3.Connection, key: bytes) -> int:
    if conn.execute("SELECT 1 FROM audit_anchor").fetchone() is not None:
        return 0
    if conn.execute("SELECT 1 FROM audit_log WHERE row_mac IS NOT NULL LIMIT 1").fetchone() is not None:
        return 0
    old = conn.execute(f"SELECT {_ROWS} FROM audit_log ORDER BY id").fetchall()
    if not old:
        return 0
    if not legacy_chain_intact(conn):
        logger.warning("audit log: the rows written before keying do not verify; they stay unkeyed")
        return 0
    relink(conn, key, old, {})
    return len(old)


def rekey(conn: sqlite3.Connection, key: bytes, previous: list[bytes]) -> int:
    if verify_log(conn, key).intact:
        return 0
    for old_key in previous:
        if verify_log(conn, old_key).intact:
            rows = conn.execute(f"SELECT {_ROWS} FROM audit_log ORDER BY id").fetchall()
            ordinals = {
                str(r["chain"]): int(r["ordinal"])
                for r in conn.execute("SELECT chain, ordinal FROM audit_chains")
            }
            relink(conn, key, rows, ordinals)
            return len(rows)
    return 0


def relink(conn: sqlite3.Connection, key: bytes, rows: list[sqlite3.Row], ordinals: dict[str, int]) -> None:
    """Recompute every link, row MAC, head and the anchor under ``key`` (ids and ordinals kept)."""
    heads: dict[str, tuple[int, int, int, str]] = {}  # chain -> ordinal, rows, head id, link
    for stored in rows:
        row = AuditRow(
            identity_id=None if stored["identity_id"] is None else int(stored["identity_id"]),
            ts_ms=int(stored["ts_ms"]),
            tool=str(stored["tool"]),
            outcome=str(stored["outcome"]),
            peer_type=None if stored["peer_type"] is None else str(stored["peer_type"]),
            peer_id=None if stored["peer_id"] is None else int(stored["peer_id"]),
            account_id=None if stored["account_id"] is None else int(stored["account_id"]),
        )
        chain = chain_name(row.identity_id)
        ordinal, count, _, prev = heads.get(chain, (ordinals.get(chain, len(heads) + 1), 0, 0, GENESIS))
        link = link_mac(key, prev, row)
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?, entry_hash = ?, row_mac = ? WHERE id = ?",
            (prev, link, row_mac(key, link, row.outcome), int(stored["id"])),
        )
        heads[chain] = (ordinal, count + 1, int(stored["id"]), link)
    conn.execute("DELETE FROM audit_chains")
    for chain, (ordinal, count, head_id, link) in heads.items():
        conn.execute(
            "INSERT INTO audit_chains (chain, ordinal, rows, head_id, head_link, mac)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (chain, ordinal, count, head_id, link, head_mac(key, chain, ordinal, count, head_id, link)),
        )
    set_anchor(conn, key, max((h[0] for h in heads.values()), default=0), len(rows))


def _row(stored: sqlite3.Row) -> AuditRow:
    return AuditRow(
        identity_id=None if stored["identity_id"] is None else int(stored["identity_id"]),
        ts_ms=int(stored["ts_ms"]),
        tool=str(stored["tool"]),
        outcome=str(stored["outcome"]),
        peer_type=None if stored["peer_type"] is None else str(stored["peer_type"]),
        peer_id=None if stored["peer_id"] is None else int(stored["peer_id"]),
        account_id=None if stored["account_id"] is None else int(stored["account_id"]),
    )


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _describe(chain: str) -> str:
    return "the rows of no identity" if chain == "none" else chain.replace("identity:", "identity ")


def verify_log(conn: sqlite3.Connection, key: bytes) -> AuditVerdict:
    """Check every row, chain head and the anchor, in that order; the first problem found."""
    anchor = conn.execute("SELECT chains, rows, mac FROM audit_anchor WHERE id = 1").fetchone()
    keyed = conn.execute("SELECT 1 FROM audit_log WHERE row_mac IS NOT NULL LIMIT 1").fetchone()
    if anchor is None and keyed is None:
        return _verify_unkeyed(conn)
    walked: dict[str, tuple[int, int, str]] = {}  # chain -> rows seen, newest id, newest link
    rows = 0

    def broken(row_id: int, problem: str) -> AuditVerdict:
        return AuditVerdict(rows=rows, chains=len(walked), broken_row=row_id, problem=problem)

    for stored in conn.execute(f"SELECT {_ROWS} FROM audit_log ORDER BY id"):
        rows += 1
        row_id = int(stored["id"])
        row = _row(stored)
        chain = chain_name(row.identity_id)
        seen, _, prev = walked.get(chain, (0, 0, GENESIS))
        where = f"row {row_id} ({_describe(chain)})"
        if stored["row_mac"] is None:
            return broken(row_id, f"{where} carries no MAC: it was not written by this server")
        if str(stored["prev_hash"]) != prev:
            return broken(
                row_id, f"{where} does not link to the row before it in its chain (removed or reordered)"
            )
        link = link_mac(key, prev, row)
        if not constant_time_equal(link, str(stored["entry_hash"])):
            return broken(row_id, f"{where} was changed after it was written")
        if not constant_time_equal(row_mac(key, link, row.outcome), str(stored["row_mac"])):
            return broken(row_id, f"{where} had its outcome changed after it was written")
        walked[chain] = (seen + 1, row_id, link)
    heads = conn.execute("SELECT chain, ordinal, rows, head_id, head_link, mac FROM audit_chains").fetchall()
    ordinals = set()
    for head in heads:
        chain, ordinal, count = str(head["chain"]), int(head["ordinal"]), int(head["rows"])
        head_id, head_link = int(head["head_id"]), str(head["head_link"])
        name = _describe(chain)
        if not constant_time_equal(
            head_mac(key, chain, ordinal, count, head_id, head_link), str(head["mac"])
        ):
            return broken(0, f"the keyed head record of {name} was changed")
        ordinals.add(ordinal)
        seen, newest, link = walked.pop(chain, (0, 0, GENESIS))
        if seen == 0:
            return broken(0, f"the whole chain of {name} ({_rows(count)}) was removed")
        if (seen, newest) != (count, head_id) or not constant_time_equal(link, head_link):
            return broken(
                newest,
                f"the chain of {name} was cut: its keyed head records {count} rows ending at row {head_id}, "
                f"but {seen} rows end at row {newest} (the newest rows were removed)",
            )
    if walked:
        chain = next(iter(walked))
        return broken(
            walked[chain][1], f"the rows of {_describe(chain)} have no keyed head record (it was removed)"
        )
    if anchor is None:
        return broken(0, "the audit log's keyed anchor record was removed")
    chains_total, rows_total = int(anchor["chains"]), int(anchor["rows"])
    if not constant_time_equal(anchor_mac(key, chains_total, rows_total), str(anchor["mac"])):
        return broken(0, "the audit log's keyed anchor record was changed")
    if ordinals != set(range(1, chains_total + 1)):
        missing = chains_total - len(ordinals)
        return broken(0, f"{missing} whole chain(s) were removed, head records included")
    if rows_total != rows:
        return broken(0, f"the anchor counts {rows_total} rows but {rows} are left: rows were removed")
    return AuditVerdict(rows=rows, chains=len(heads))


def _verify_unkeyed(conn: sqlite3.Connection) -> AuditVerdict:
    heads: dict[object, str] = {}
    rows = 0
    for stored in conn.execute(f"SELECT {_ROWS} FROM audit_log ORDER BY id"):
        rows += 1
        prev = heads.get(stored["identity_id"], GENESIS)
        if str(stored["prev_hash"]) != prev or legacy_hash(prev, stored) != str(stored["entry_hash"]):
            return AuditVerdict(
                rows=rows,
                chains=len(heads),
                broken_row=int(stored["id"]),
                problem=f"row {stored['id']} (written before keying) does not verify",
                keyed=False,
            )
        heads[stored["identity_id"]] = str(stored["entry_hash"])
    return AuditVerdict(rows=rows, chains=len(heads), keyed=False)
