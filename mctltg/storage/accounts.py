"""Telegram accounts: the accounts each identity connected, and their sealed sessions.

A row goes ``pending`` (login in progress) → ``active`` (logged in, serving calls) →
``revoked`` (disconnected, or Telegram ended the session). The Telethon session is
stored only sealed (:class:`mctltg.crypto.Sealer`), bound to its row *and its owner*:
``telegram_account:<id>|identity:<identity id>|telegram_user:<Telegram user id or ->``
(:func:`session_binding`). A blob copied into another row does not open, and neither
does one whose row was given to another identity or another Telegram user by editing
``identity_id`` or ``telegram_user_id``: the load is refused and logged (row and
identity ids only). Activation, which sets the Telegram user, re-seals the session
for it in the same transaction. Blobs sealed before the owner was bound (bound to
``telegram_account:<id>`` only) still open once and are re-sealed for their owner on
that load; every active account is loaded at startup, so one start migrates them.

Revoking erases the session, and a revoked row refuses new
sessions, so a disconnect cannot be undone by a late write from a task still holding the
old session; connecting again goes through :meth:`Accounts.create`, which resets the row.
Deleting removes the row and everything keyed by it, then checkpoints so no copy of the
sealed session stays in the WAL.

One identity holds up to a limit of accounts (``MAX_ACCOUNTS_PER_IDENTITY``, counted
over its rows of every status), each with a short label unique to it (:func:`normalize_label`)
and exactly one of them its default (the first connected; when the default is deleted
the oldest remaining account takes over). One Telegram user is connected at most once,
in one row of one identity (one owner per auth key): :meth:`Accounts.activate` refuses a
Telegram user already connected anywhere else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, cast

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.errors import AccountLimitReached, InvalidInput, SealError, StorageError, TelegramUserTaken

if TYPE_CHECKING:
    import sqlite3

    from mctltg.crypto import Sealer
    from mctltg.storage.database import Database

__all__ = [
    "DEFAULT_LABEL",
    "AccountRow",
    "AccountStatus",
    "Accounts",
    "legacy_session_binding",
    "normalize_label",
    "session_binding",
]

logger = logging.getLogger(__name__)

AccountStatus = Literal["pending", "active", "revoked"]
_STATUSES: Final[frozenset[str]] = frozenset({"pending", "active", "revoked"})

#: The label of an identity's first account, and of the account a version-5 database had.
DEFAULT_LABEL: Final = "main"
_LABEL: Final = re.compile(r"[a-z][a-z0-9_-]{0,15}")

_COLUMNS: Final = (
    "id, identity_id, label, is_default, telegram_user_id, username, display_name, status, send_enabled,"
    " device_name, created_at, last_used_at, revoked_at, sandbox,"
    " session_blob IS NOT NULL AS has_session, broken_at IS NOT NULL AS broken"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountRow:
    """One Telegram account as stored; the session itself never leaves :class:`Accounts`."""

    id: int
    identity_id: int
    telegram_user_id: int | None
    username: str | None
    display_name: str
    status: AccountStatus
    send_enabled: bool
    device_name: str
    created_at: float
    last_used_at: float | None
    revoked_at: float | None
    sandbox: bool
    has_session: bool
    #: The stored session did not open for this row's owner; see ``mctltg.errors.BROKEN_SESSION``.
    broken: bool = False
    #: The short name its owner gave it, unique among the owner's accounts.
    label: str = DEFAULT_LABEL
    #: The account a call without ``account`` uses; exactly one per identity.
    is_default: bool = True


def normalize_label(text: str) -> str:
    """A label as stored: lower case, a letter then up to 15 letters, digits, ``-`` or ``_``.

    A label never looks like an id (it starts with a letter), so ``account="12"`` always
    means the account with id 12 and ``account="work"`` the one labelled "work".

    Raises:
        InvalidInput: the text is not such a label.
    """
    label = text.strip().lower() if isinstance(text, str) else ""
    if not _LABEL.fullmatch(label):
        raise InvalidInput(
            "label",
            "must be 1-16 letters, digits, hyphens or underscores, starting with a letter (e.g. work)",
        )
    return label


def session_binding(account_id: int, identity_id: int, telegram_user_id: int | None) -> str:
    """The ``bound_to`` label a session is sealed with: its row and its owner."""
    user = "-" if telegram_user_id is None else str(telegram_user_id)
    return f"telegram_account:{account_id}|identity:{identity_id}|telegram_user:{user}"


def legacy_session_binding(account_id: int) -> str:
    """The label of blobs sealed before the owner was bound (the row only)."""
    return f"telegram_account:{account_id}"


class Accounts:
    """Reads and writes ``telegram_accounts`` rows, sealing sessions on the way in.

    Args:
        db: the open database.
        sealer: seals and opens session blobs.
        clock: wall-clock seconds, for the ``*_at`` columns.
    """

    def __init__(self, db: Database, sealer: Sealer, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._sealer = sealer
        self._clock = clock

    async def create(
        self,
        identity_id: int,
        *,
        device_name: str,
        sandbox: bool = False,
        label: str = DEFAULT_LABEL,
        limit: int | None = None,
    ) -> AccountRow:
        """Start connecting a Telegram account labelled ``label`` for the identity: a ``pending`` row.

        A revoked row of the identity with that label is reused: every field of the old
        connection (Telegram user, names, consent, timestamps) is cleared. A new label
        adds a row, unless the identity already holds ``limit`` rows; the identity's
        first account becomes its default.

        Raises:
            InvalidInput: ``label`` is not a label.
            AccountLimitReached: a new label, and the identity holds ``limit`` accounts.
            StorageError: there is no such identity, or its account with that label is
                pending or active (revoke that first to start over).
        """
        return await self._db.write(
            _create, identity_id, device_name, sandbox, self._clock(), normalize_label(label), limit
        )

    async def get(self, account_id: int) -> AccountRow | None:
        """Return the account with this row id, or None."""
        return await self._db.read(_select_where, "id = ?", account_id)

    async def for_identity(self, identity_id: int) -> AccountRow | None:
        """Return the identity's default account (in any status), or None when it has none."""
        return await self._db.read(_select_where, "identity_id = ? AND is_default = 1", identity_id)

    async def list_for_identity(self, identity_id: int) -> list[AccountRow]:
        """Every account of the identity (any status), the default first, then oldest first."""
        return await self._db.read(_select_of_identity, identity_id)

    async def by_label(self, identity_id: int, label: str) -> AccountRow | None:
        """The identity's account with this label (any status), or None."""
        return await self._db.read(_select_label, identity_id, label.strip().lower())

    async def set_default(self, identity_id: int, account_id: int) -> None:
        """Make the identity's account ``account_id`` its default (one transaction).

        Raises:
            StorageError: the account is not the identity's.
        """
        await self._db.write(_set_default, identity_id, account_id)

    async def list_active(self) -> list[AccountRow]:
        """Return every active account, oldest first (what the supervisor starts at boot)."""
        return await self._db.read(_select_active)

    async def save_session(self, account_id: int, plaintext: bytes) -> None:
        """Seal and store the account's Telethon session.

        Raises:
            StorageError: the account does not exist or is revoked (a revoked account
                never gets a session back; :meth:`create` starts a new connection).
        """
        await self._db.write(_save_session, account_id, self._sealing(plaintext))

    async def load_session(self, account_id: int) -> bytes | None:
        """Open and return the account's session, or None if it has none (or no row).

        A session sealed with a previous key is sealed again with the current one.

        Raises:
            SealError: the stored blob does not open (tampered, moved, or another key).
        """
        stored = await self._db.read(_select_session, account_id)
        if stored is None:
            return None
        blob, identity_id, telegram_user_id, broken = stored
        bound_to = session_binding(account_id, identity_id, telegram_user_id)
        reseal = self._sealer.needs_reseal(blob)
        try:
            plaintext = self._sealer.open(blob, bound_to=bound_to)
        except SealError:
            try:
                plaintext = self._sealer.open(blob, bound_to=legacy_session_binding(account_id))
            except SealError:
                logger.warning(
                    "refused the sealed session of Telegram account %d: it does not open for its owner"
                    " (identity %d): tampered, moved to another row or owner, or sealed with another key",
                    account_id,
                    identity_id,
                )
                await self._db.write(_mark_broken, account_id, blob, self._clock())
                raise SealError(
                    f"sealed session for telegram_account:{account_id} does not open for its owner"
                    " (tampered, moved, or sealed with another key)"
                ) from None
            reseal = True  # sealed before owners were bound: bind it now
        if reseal:
            resealed = self._sealer.seal(plaintext, bound_to=bound_to)
            await self._db.write(_reseal, account_id, blob, resealed, identity_id, telegram_user_id)
        if broken:  # it opens again (the right key is back): no longer broken
            await self._db.write(_clear_broken, account_id, blob)
        return plaintext

    def _sealing(self, plaintext: bytes) -> Callable[[str], bytes]:
        def seal(bound_to: str) -> bytes:
            return self._sealer.seal(plaintext, bound_to=bound_to)

        return seal

    def _rebinding(self, blob: bytes, account_id: int, old: str, new: str) -> bytes:
        """Writer thread: the stored session sealed again for its new owner label."""
        try:
            plaintext = self._sealer.open(blob, bound_to=old)
        except SealError:
            plaintext = self._sealer.open(blob, bound_to=legacy_session_binding(account_id))
        return self._sealer.seal(plaintext, bound_to=new)

    async def activate(
        self, account_id: int, *, telegram_user_id: int, username: str | None, display_name: str
    ) -> AccountRow:
        """Mark the account logged in as Telegram user ``telegram_user_id``.

        A revoked account of another identity that held this Telegram user releases it.

        Raises:
            TelegramUserTaken: that Telegram user is connected by (or signed in as) another identity.
            StorageError: the account does not exist or is revoked.
        """
        return await self._db.write(
            _activate, account_id, telegram_user_id, username, display_name, self._rebinding
        )

    async def connect(
        self,
        identity_id: int,
        *,
        device_name: str,
        sandbox: bool,
        telegram_user_id: int,
        username: str | None,
        display_name: str,
        session: bytes,
        label: str = DEFAULT_LABEL,
        limit: int | None = None,
    ) -> AccountRow:
        """Store a finished login in one transaction: create, seal the session, activate.

        All or nothing: when the Telegram user belongs to another identity, or the identity
        already has a pending or active account, no row changes and no session is stored.

        Raises:
            TelegramUserTaken: that Telegram user is connected already (in any account), or
                another identity signed in as it.
            AccountLimitReached: a new label, and the identity holds ``limit`` accounts.
            StorageError: no such identity, or its account with that label is pending or active.
        """
        return await self._db.write(
            _connect,
            identity_id,
            device_name,
            sandbox,
            self._clock(),
            normalize_label(label),
            limit,
            telegram_user_id,
            username,
            display_name,
            self._sealing(session),
            self._rebinding,
        )

    async def revoke(self, account_id: int) -> None:
        """Disconnect: status ``revoked``, session erased, sending off. Idempotent.

        Does nothing for an account that does not exist. The WAL is then checkpointed so
        the erased (sealed) session leaves it; if a long reader keeps the checkpoint from
        finishing, that is only logged, because the revocation itself has committed.

        Raises:
            StorageError: the revocation could not be written.
        """
        await self._db.write(_revoke, account_id, self._clock())
        try:
            await self._db.checkpoint()
        except StorageError as exc:
            logger.warning("account %d revoked, but the WAL checkpoint after it failed: %s", account_id, exc)

    async def delete(self, account_id: int) -> None:
        """Delete the account and everything keyed by it, leaving no bytes of it on disk.

        Does nothing for an account that does not exist, so calling it again after a
        failed checkpoint finishes the job.

        Raises:
            StorageError: the delete could not be written, or the checkpoint that clears
                the deleted bytes from the WAL could not finish (the row is gone anyway).
        """
        await self._db.write(_delete, account_id)
        await self._db.checkpoint()

    async def touch(self, account_id: int) -> None:
        """Record that the account served a call now (revoked or missing rows: no-op)."""
        await self._db.write(_touch, account_id, self._clock())

    async def set_send_enabled(self, account_id: int, enabled: bool) -> None:
        """Turn the owner's consent to sending messages on or off.

        Raises:
            StorageError: enabling sending on an account that does not exist or is revoked.
        """
        await self._db.write(_set_send_enabled, account_id, enabled)


def _account_from_row(row: sqlite3.Row) -> AccountRow:
    status = str(row["status"])
    if status not in _STATUSES:
        raise StorageError(f"Telegram account {row['id']} has an unknown status")
    return AccountRow(
        id=int(row["id"]),
        identity_id=int(row["identity_id"]),
        label=str(row["label"]),
        is_default=bool(row["is_default"]),
        telegram_user_id=_optional_int(row["telegram_user_id"]),
        username=None if row["username"] is None else str(row["username"]),
        display_name=str(row["display_name"]),
        status=cast("AccountStatus", status),
        send_enabled=bool(row["send_enabled"]),
        device_name=str(row["device_name"]),
        created_at=float(row["created_at"]),
        last_used_at=_optional_float(row["last_used_at"]),
        revoked_at=_optional_float(row["revoked_at"]),
        sandbox=bool(row["sandbox"]),
        has_session=bool(row["has_session"]),
        broken=bool(row["broken"]),
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(cast("int", value))


def _optional_float(value: object) -> float | None:
    return None if value is None else float(cast("float", value))


def _select_where(conn: sqlite3.Connection, where: str, value: int) -> AccountRow | None:
    # ``where`` is always a constant from this module, never caller input.
    row = conn.execute(f"SELECT {_COLUMNS} FROM telegram_accounts WHERE {where}", (value,)).fetchone()
    return None if row is None else _account_from_row(row)


def _select_of_identity(conn: sqlite3.Connection, identity_id: int) -> list[AccountRow]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM telegram_accounts WHERE identity_id = ? ORDER BY is_default DESC, id",
        (identity_id,),
    ).fetchall()
    return [_account_from_row(row) for row in rows]


def _select_label(conn: sqlite3.Connection, identity_id: int, label: str) -> AccountRow | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM telegram_accounts WHERE identity_id = ? AND label = ?", (identity_id, label)
    ).fetchone()
    return None if row is None else _account_from_row(row)


def _set_default(conn: sqlite3.Connection, identity_id: int, account_id: int) -> None:
    found = conn.execute(
        "SELECT 1 FROM telegram_accounts WHERE id = ? AND identity_id = ?", (account_id, identity_id)
    ).fetchone()
    if found is None:
        raise StorageError(f"identity {identity_id} has no Telegram account {account_id}")
    conn.execute("UPDATE telegram_accounts SET is_default = 0 WHERE identity_id = ? AND id != ?",
                 (identity_id, account_id))  # fmt: skip
    conn.execute("UPDATE telegram_accounts SET is_default = 1 WHERE id = ?", (account_id,))


def _require(conn: sqlite3.Connection, account_id: int) -> AccountRow:
    account = _select_where(conn, "id = ?", account_id)
    if account is None:
        raise StorageError(f"there is no Telegram account {account_id}")
    return account


def _select_active(conn: sqlite3.Connection) -> list[AccountRow]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM telegram_accounts WHERE status = 'active' ORDER BY id"
    ).fetchall()
    return [_account_from_row(row) for row in rows]


def _select_session(conn: sqlite3.Connection, account_id: int) -> tuple[bytes, int, int | None, bool] | None:
    row = conn.execute(
        "SELECT session_blob, identity_id, telegram_user_id, broken_at FROM telegram_accounts WHERE id = ?",
        (account_id,),
    ).fetchone()
    if row is None or row["session_blob"] is None:
        return None
    return (
        bytes(row["session_blob"]),
        int(row["identity_id"]),
        _optional_int(row["telegram_user_id"]),
        row["broken_at"] is not None,
    )


def _mark_broken(conn: sqlite3.Connection, account_id: int, blob: bytes, now: float) -> None:
    # Only the blob that failed: a session saved since (a reconnect) is not broken.
    conn.execute(
        "UPDATE telegram_accounts SET broken_at = COALESCE(broken_at, ?) WHERE id = ? AND session_blob = ?",
        (now, account_id, blob),
    )


def _clear_broken(conn: sqlite3.Connection, account_id: int, blob: bytes) -> None:
    conn.execute(
        "UPDATE telegram_accounts SET broken_at = NULL WHERE id = ? AND session_blob = ?", (account_id, blob)
    )


_Rebind = Callable[[bytes, int, str, str], bytes]


def _create(
    conn: sqlite3.Connection,
    identity_id: int,
    device_name: str,
    sandbox: bool,
    now: float,
    label: str,
    limit: int | None,
) -> AccountRow:
    if conn.execute("SELECT 1 FROM identities WHERE id = ?", (identity_id,)).fetchone() is None:
        raise StorageError(f"there is no identity {identity_id}")
    existing = _select_label(conn, identity_id, label)
    if existing is None:
        held = int(
            conn.execute(
                "SELECT COUNT(*) FROM telegram_accounts WHERE identity_id = ?", (identity_id,)
            ).fetchone()[0]
        )
        if limit is not None and held >= limit:
            raise AccountLimitReached(limit)
        cursor = conn.execute(
            "INSERT INTO telegram_accounts (identity_id, label, is_default, status, device_name, created_at,"
            " sandbox) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
            (identity_id, label, int(held == 0), device_name, now, int(sandbox)),
        )
        account_id = cursor.lastrowid
        assert account_id is not None
    elif existing.status == "revoked":
        account_id = existing.id
        conn.execute(
            "UPDATE telegram_accounts SET status = 'pending', telegram_user_id = NULL,"
            " username = NULL, display_name = '', send_enabled = 0, device_name = ?,"
            " session_blob = NULL, created_at = ?, last_used_at = NULL, revoked_at = NULL, broken_at = NULL,"
            " sandbox = ? WHERE id = ?",
            (device_name, now, int(sandbox), account_id),
        )
    else:
        raise StorageError(
            f"identity {identity_id} already has a {existing.status} Telegram account labelled {label}; "
            "disconnect it before connecting again"
        )
    return _require(conn, account_id)


def _save_session(conn: sqlite3.Connection, account_id: int, seal: Callable[[str], bytes]) -> None:
    account = _require(conn, account_id)
    if account.status == "revoked":
        raise StorageError(f"Telegram account {account_id} is disconnected; its session is not stored again")
    blob = seal(session_binding(account_id, account.identity_id, account.telegram_user_id))
    conn.execute(
        "UPDATE telegram_accounts SET session_blob = ?, broken_at = NULL WHERE id = ?", (blob, account_id)
    )


def _reseal(
    conn: sqlite3.Connection,
    account_id: int,
    old: bytes,
    new: bytes,
    identity_id: int,
    telegram_user_id: int | None,
) -> None:
    # Only if nothing replaced or erased the blob, or changed its owner, since it was read.
    conn.execute(
        "UPDATE telegram_accounts SET session_blob = ?"
        " WHERE id = ? AND session_blob = ? AND status != 'revoked'"
        " AND identity_id = ? AND telegram_user_id IS ?",
        (new, account_id, old, identity_id, telegram_user_id),
    )


def _activate(
    conn: sqlite3.Connection,
    account_id: int,
    telegram_user_id: int,
    username: str | None,
    display_name: str,
    rebind: _Rebind,
) -> AccountRow:
    account = _require(conn, account_id)
    if account.status == "revoked":
        raise StorageError(
            f"Telegram account {account_id} is disconnected; create it again before activating"
        )
    taken = TelegramUserTaken()
    signed_in_elsewhere = conn.execute(
        "SELECT 1 FROM identities WHERE telegram_user_id = ? AND id != ?",
        (telegram_user_id, account.identity_id),
    ).fetchone()
    if signed_in_elsewhere is not None:
        raise taken
    holder = conn.execute(
        "SELECT id, status FROM telegram_accounts WHERE telegram_user_id = ? AND id != ?",
        (telegram_user_id, account_id),
    ).fetchone()
    if holder is not None:
        if holder["status"] != "revoked":
            raise taken
        # A disconnected account keeps no claim on the Telegram user.
        conn.execute("UPDATE telegram_accounts SET telegram_user_id = NULL WHERE id = ?", (holder["id"],))
    conn.execute(
        "UPDATE telegram_accounts SET status = 'active', telegram_user_id = ?, username = ?,"
        " display_name = ? WHERE id = ?",
        (telegram_user_id, username, display_name, account_id),
    )
    stored = _select_session(conn, account_id)
    if stored is not None and account.telegram_user_id != telegram_user_id:
        old = session_binding(account_id, account.identity_id, account.telegram_user_id)
        new = session_binding(account_id, account.identity_id, telegram_user_id)
        conn.execute(
            "UPDATE telegram_accounts SET session_blob = ? WHERE id = ?",
            (rebind(stored[0], account_id, old, new), account_id),
        )
    return _require(conn, account_id)


def _connect(
    conn: sqlite3.Connection,
    identity_id: int,
    device_name: str,
    sandbox: bool,
    now: float,
    label: str,
    limit: int | None,
    telegram_user_id: int,
    username: str | None,
    display_name: str,
    seal: Callable[[str], bytes],
    rebind: _Rebind,
) -> AccountRow:
    account = _create(conn, identity_id, device_name, sandbox, now, label, limit)
    _activate(conn, account.id, telegram_user_id, username, display_name, rebind)
    _save_session(conn, account.id, seal)
    return _require(conn, account.id)


def _revoke(conn: sqlite3.Connection, account_id: int, now: float) -> None:
    conn.execute(
        "UPDATE telegram_accounts SET status = 'revoked', session_blob = NULL, send_enabled = 0,"
        " revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
        (now, account_id),
    )


def _delete(conn: sqlite3.Connection, account_id: int) -> None:
    gone = _select_where(conn, "id = ?", account_id)
    conn.execute("DELETE FROM telegram_accounts WHERE id = ?", (account_id,))
    if gone is not None and gone.is_default:
        # The oldest remaining account (if any) becomes the default.
        conn.execute(
            "UPDATE telegram_accounts SET is_default = 1 WHERE id ="
            " (SELECT id FROM telegram_accounts WHERE identity_id = ? ORDER BY id LIMIT 1)",
            (gone.identity_id,),
        )


def _touch(conn: sqlite3.Connection, account_id: int, now: float) -> None:
    conn.execute(
        "UPDATE telegram_accounts SET last_used_at = ? WHERE id = ? AND status != 'revoked'",
        (now, account_id),
    )


def _set_send_enabled(conn: sqlite3.Connection, account_id: int, enabled: bool) -> None:
    if enabled:
        account = _require(conn, account_id)
        if account.status == "revoked":
            raise StorageError(f"Telegram account {account_id} is disconnected; sending cannot be enabled")
    conn.execute("UPDATE telegram_accounts SET send_enabled = ? WHERE id = ?", (int(enabled), account_id))
