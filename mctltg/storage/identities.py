"""Identities: who signs in to mctltg, independent of any Telegram account they connect.

An identity is named by a stable ``subject``: ``"operator"`` when authentication is off
in local development, ``"tg:<telegram user id>"`` once Telegram sign-in (OIDC) proved
it, ``"<issuer>#<sub>"`` after sign-in at any other OpenID Connect provider (a ``sub``
of any shape; only Telegram's sign-in proves a Telegram user id). Everything a person
owns in mctltg (their Telegram account, OAuth grants, audit entries) hangs off the
identity's row id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.errors import StorageError

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["Identities", "IdentityRow"]

_COLUMNS: Final = "id, subject, telegram_user_id, display_name, created_at"


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityRow:
    """One identity as stored."""

    id: int
    subject: str
    telegram_user_id: int | None
    display_name: str
    created_at: float


class Identities:
    """Reads and writes ``identities`` rows.

    Args:
        db: the open database.
        clock: wall-clock seconds, for ``created_at``.
    """

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock

    async def ensure(self, subject: str, *, display_name: str = "") -> IdentityRow:
        """Return the identity for ``subject``, creating it if it does not exist yet.

        A non-empty ``display_name`` replaces the stored one (names change); an empty
        one leaves it as it is.

        Raises:
            ValueError: ``subject`` is empty.
            StorageError: the database failed.
        """
        if not subject:
            raise ValueError("an identity needs a non-empty subject")
        return await self._db.write(_ensure, subject, display_name, self._clock())

    async def sign_in(
        self, subject: str, *, display_name: str, telegram_user_id: int | None = None
    ) -> IdentityRow:
        """The identity a sign-in proved, created on first sight, in one transaction.

        ``telegram_user_id`` (Telegram's sign-in only) is recorded the first time.

        Raises:
            ValueError: ``subject`` is empty.
            StorageError: another identity already holds that Telegram user id.
        """
        if not subject:
            raise ValueError("an identity needs a non-empty subject")
        return await self._db.write(_sign_in, subject, display_name, telegram_user_id, self._clock())

    async def get(self, identity_id: int) -> IdentityRow | None:
        """Return the identity with this row id, or None."""
        return await self._db.read(_select_where, "id = ?", identity_id)

    async def by_subject(self, subject: str) -> IdentityRow | None:
        """Return the identity with this subject, or None."""
        return await self._db.read(_select_where, "subject = ?", subject)

    async def set_telegram_user(self, identity_id: int, telegram_user_id: int) -> IdentityRow:
        """Record that this identity proved it is Telegram user ``telegram_user_id``.

        Raises:
            StorageError: there is no such identity, or another identity already holds
                that Telegram user id.
        """
        return await self._db.write(_set_telegram_user, identity_id, telegram_user_id)


def _identity_from_row(row: sqlite3.Row) -> IdentityRow:
    telegram_user_id = row["telegram_user_id"]
    return IdentityRow(
        id=int(row["id"]),
        subject=str(row["subject"]),
        telegram_user_id=None if telegram_user_id is None else int(telegram_user_id),
        display_name=str(row["display_name"]),
        created_at=float(row["created_at"]),
    )


def _select_where(conn: sqlite3.Connection, where: str, value: int | str) -> IdentityRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM identities WHERE {where}", (value,)).fetchone()
    return None if row is None else _identity_from_row(row)


def _ensure(conn: sqlite3.Connection, subject: str, display_name: str, now: float) -> IdentityRow:
    existing = _select_where(conn, "subject = ?", subject)
    if existing is None:
        conn.execute(
            "INSERT INTO identities (subject, display_name, created_at) VALUES (?, ?, ?)",
            (subject, display_name, now),
        )
    elif display_name and display_name != existing.display_name:
        conn.execute("UPDATE identities SET display_name = ? WHERE id = ?", (display_name, existing.id))
    else:
        return existing
    row = _select_where(conn, "subject = ?", subject)
    assert row is not None  # written in this transaction
    return row


def _set_telegram_user(conn: sqlite3.Connection, identity_id: int, telegram_user_id: int) -> IdentityRow:
    identity = _select_where(conn, "id = ?", identity_id)
    if identity is None:
        raise StorageError(f"there is no identity {identity_id}")
    holder = conn.execute(
        "SELECT id FROM identities WHERE telegram_user_id = ? AND id != ?",
        (telegram_user_id, identity_id),
    ).fetchone()
    if holder is not None:
        raise StorageError(f"Telegram user {telegram_user_id} already belongs to another identity")
    conn.execute("UPDATE identities SET telegram_user_id = ? WHERE id = ?", (telegram_user_id, identity_id))
    row = _select_where(conn, "id = ?", identity_id)
    assert row is not None
    return row


def _sign_in(
    conn: sqlite3.Connection, subject: str, display_name: str, telegram_user_id: int | None, now: float
) -> IdentityRow:
    identity = _ensure(conn, subject, display_name, now)
    if telegram_user_id is None or identity.telegram_user_id is not None:
        return identity
    return _set_telegram_user(conn, identity.id, telegram_user_id)
