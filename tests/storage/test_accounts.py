"""Telegram accounts and their sealed sessions (mctltg/storage/accounts.py)."""

from __future__ import annotations

import sqlite3

import pytest

from mctltg.crypto import Sealer, new_key
from mctltg.errors import AccountLimitReached, InvalidInput, SealError, StorageError
from mctltg.sandbox.testing import ManualClock
from mctltg.storage import AccountRow, Accounts, Database, Identities, open_database
from mctltg.storage.accounts import legacy_session_binding, session_binding
from tests.harness.disk import disk_bytes

# 256 distinctive bytes: a recognisable prefix, then every byte value once.
PLAINTEXT = (b"TELETHON-SESSION-PLAINTEXT-MARKER" + bytes(range(256)))[:256]


async def _account(identities: Identities, accounts: Accounts, subject: str = "alice") -> int:
    identity = await identities.ensure(subject)
    return (await accounts.create(identity.id, device_name="mctltg test")).id


async def _row(accounts: Accounts, account_id: int) -> AccountRow:
    account = await accounts.get(account_id)
    assert account is not None
    return account


def _raw_blob(conn: sqlite3.Connection, account_id: int) -> bytes | None:
    row = conn.execute("SELECT session_blob FROM telegram_accounts WHERE id = ?", (account_id,)).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


async def _stored_blob(db: Database, account_id: int) -> bytes:
    blob = await db.read(_raw_blob, account_id)
    assert blob is not None
    return blob


def _chunks(data: bytes, size: int = 16) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data) - size + 1, size)]


async def test_create_starts_a_pending_account(
    identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    identity = await identities.ensure("alice")

    account = await accounts.create(identity.id, device_name="mctltg on laptop", sandbox=True)

    assert account == AccountRow(
        id=account.id,
        identity_id=identity.id,
        telegram_user_id=None,
        username=None,
        display_name="",
        status="pending",
        send_enabled=False,
        device_name="mctltg on laptop",
        created_at=clock.now,
        last_used_at=None,
        revoked_at=None,
        sandbox=True,
        has_session=False,
    )
    assert await accounts.get(account.id) == account
    assert await accounts.for_identity(identity.id) == account


async def test_create_refuses_a_second_live_account_for_an_identity(
    identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)
    identity_id = (await _row(accounts, account_id)).identity_id

    with pytest.raises(StorageError, match="already has a pending Telegram account"):
        await accounts.create(identity_id, device_name="again")


async def test_create_for_a_missing_identity_raises(accounts: Accounts) -> None:
    with pytest.raises(StorageError, match="no identity 99"):
        await accounts.create(99, device_name="x")


async def test_create_reuses_a_revoked_row_as_pending_with_old_fields_cleared(
    identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)
    await accounts.activate(account_id, telegram_user_id=5, username="al", display_name="Al")
    await accounts.set_send_enabled(account_id, True)
    await accounts.touch(account_id)
    await accounts.revoke(account_id)
    clock.advance(100)
    identity_id = (await identities.ensure("alice")).id

    again = await accounts.create(identity_id, device_name="new device")

    assert again == AccountRow(
        id=account_id,
        identity_id=identity_id,
        telegram_user_id=None,
        username=None,
        display_name="",
        status="pending",
        send_enabled=False,
        device_name="new device",
        created_at=clock.now,
        last_used_at=None,
        revoked_at=None,
        sandbox=False,
        has_session=False,
    )
    assert await accounts.load_session(account_id) is None


async def test_a_saved_session_loads_back(identities: Identities, accounts: Accounts) -> None:
    account_id = await _account(identities, accounts)
    assert await accounts.load_session(account_id) is None

    await accounts.save_session(account_id, PLAINTEXT)

    assert await accounts.load_session(account_id) == PLAINTEXT
    assert (await _row(accounts, account_id)).has_session
    assert await accounts.load_session(12345) is None


async def test_a_session_moved_to_another_account_row_refuses_to_open(
    db: Database, identities: Identities, accounts: Accounts
) -> None:
    alice = await _account(identities, accounts, "alice")
    mallory = await _account(identities, accounts, "mallory")
    await accounts.save_session(alice, PLAINTEXT)

    def copy_blob(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE telegram_accounts SET session_blob ="
            " (SELECT session_blob FROM telegram_accounts WHERE id = ?) WHERE id = ?",
            (alice, mallory),
        )

    await db.write(copy_blob)

    with pytest.raises(SealError, match=f"telegram_account:{mallory}"):
        await accounts.load_session(mallory)
    assert await accounts.load_session(alice) == PLAINTEXT


async def test_a_session_sealed_with_another_key_refuses_to_open(
    db: Database, identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)

    with pytest.raises(SealError):
        await Accounts(db, Sealer(new_key())).load_session(account_id)


async def test_a_session_sealed_with_a_previous_key_is_resealed_on_load(
    db: Database, identities: Identities, accounts: Accounts, key: bytes
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)
    old_blob = await _stored_blob(db, account_id)
    rotated = Sealer(new_key(), previous_keys=[key])

    assert await Accounts(db, rotated).load_session(account_id) == PLAINTEXT

    new_blob = await _stored_blob(db, account_id)
    assert new_blob != old_blob
    assert not rotated.needs_reseal(new_blob)
    with pytest.raises(SealError):  # the old key alone no longer opens it
        await accounts.load_session(account_id)


async def test_the_database_files_never_contain_the_plaintext_session(db_path: str, key: bytes) -> None:
    async with open_database(db_path) as db:
        identities, accounts = Identities(db), Accounts(db, Sealer(key))
        account_id = await _account(identities, accounts)
        await accounts.save_session(account_id, PLAINTEXT)
        await accounts.save_session(account_id, PLAINTEXT[::-1])
        await accounts.save_session(account_id, PLAINTEXT)
        assert await accounts.load_session(account_id) == PLAINTEXT

        on_disk = disk_bytes(db_path)
        assert len(on_disk) > 0
        for chunk in _chunks(PLAINTEXT) + _chunks(PLAINTEXT[::-1]):
            assert chunk not in on_disk
        await db.checkpoint()
        on_disk = disk_bytes(db_path)
        for chunk in _chunks(PLAINTEXT) + _chunks(PLAINTEXT[::-1]):
            assert chunk not in on_disk

    on_disk = disk_bytes(db_path)
    for chunk in _chunks(PLAINTEXT):
        assert chunk not in on_disk


async def test_after_delete_no_row_and_no_bytes_of_the_session_remain_on_disk(
    db: Database, identities: Identities, accounts: Accounts
) -> None:
    keep = await _account(identities, accounts, "bob")
    await accounts.save_session(keep, b"bob's session " * 20)
    account_id = await _account(identities, accounts, "alice")
    blobs: list[bytes] = []
    for version in range(3):  # every blob ever written for the account, not just the last
        await accounts.save_session(account_id, PLAINTEXT[version:] + PLAINTEXT[:version])
        blobs.append(await _stored_blob(db, account_id))
    await db.checkpoint()  # some blobs in the main file, some in the WAL
    await accounts.save_session(account_id, PLAINTEXT)
    blobs.append(await _stored_blob(db, account_id))
    assert any(chunk in disk_bytes(db.path) for chunk in _chunks(blobs[-1]))  # the scan works

    await accounts.delete(account_id)

    assert await accounts.get(account_id) is None
    on_disk = disk_bytes(db.path)
    for blob in blobs:
        for chunk in _chunks(blob):
            assert chunk not in on_disk
    for chunk in _chunks(PLAINTEXT):
        assert chunk not in on_disk
    assert await accounts.load_session(keep) == b"bob's session " * 20


async def test_deleting_revoking_or_touching_a_missing_account_changes_nothing(
    identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    present = await _account(identities, accounts)
    before = await _row(accounts, present)
    missing = present + 1000
    clock.advance(60)  # a touch that wrongly reached a row would move its last_used_at

    await accounts.delete(missing)
    await accounts.revoke(missing)
    await accounts.touch(missing)

    assert await accounts.get(missing) is None  # nothing was created by the no-ops
    assert await _row(accounts, present) == before  # and no other row moved


async def test_deleting_an_identity_deletes_its_account(
    db: Database, identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)

    def delete_identity(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM identities WHERE subject = 'alice'")

    await db.write(delete_identity)

    assert await accounts.get(account_id) is None


async def test_revoke_erases_the_session_and_turns_sending_off(
    identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)
    await accounts.activate(account_id, telegram_user_id=5, username=None, display_name="A")
    await accounts.set_send_enabled(account_id, True)

    await accounts.revoke(account_id)
    revoked_at = clock.now
    clock.advance(10)
    await accounts.revoke(account_id)

    account = await accounts.get(account_id)
    assert account is not None
    assert account.status == "revoked"
    assert account.revoked_at == revoked_at
    assert not account.has_session
    assert not account.send_enabled
    assert await accounts.load_session(account_id) is None


async def test_revoke_leaves_no_bytes_of_the_sealed_session_on_disk(
    db: Database, identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)
    blob = await _stored_blob(db, account_id)

    await accounts.revoke(account_id)

    on_disk = disk_bytes(db.path)
    for chunk in _chunks(blob):
        assert chunk not in on_disk


async def test_save_session_on_a_revoked_account_is_refused(
    identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)
    await accounts.revoke(account_id)

    with pytest.raises(StorageError, match="disconnected"):
        await accounts.save_session(account_id, PLAINTEXT)

    assert await accounts.load_session(account_id) is None


async def test_save_session_on_a_missing_account_is_refused(accounts: Accounts) -> None:
    with pytest.raises(StorageError, match="no Telegram account 3"):
        await accounts.save_session(3, PLAINTEXT)


async def test_activate_records_the_telegram_user(identities: Identities, accounts: Accounts) -> None:
    account_id = await _account(identities, accounts)

    account = await accounts.activate(
        account_id, telegram_user_id=12345, username="alice", display_name="Alice A."
    )

    assert (account.status, account.telegram_user_id, account.username, account.display_name) == (
        "active",
        12345,
        "alice",
        "Alice A.",
    )
    assert await accounts.list_active() == [account]


async def test_activate_with_a_telegram_user_of_another_identity_raises(
    identities: Identities, accounts: Accounts
) -> None:
    alice = await _account(identities, accounts, "alice")
    bob = await _account(identities, accounts, "bob")
    await accounts.activate(alice, telegram_user_id=12345, username=None, display_name="A")

    with pytest.raises(StorageError, match="already connected by another identity"):
        await accounts.activate(bob, telegram_user_id=12345, username=None, display_name="B")

    assert (await _row(accounts, bob)).status == "pending"


async def test_activate_with_a_telegram_user_another_identity_signed_in_as_raises(
    identities: Identities, accounts: Accounts
) -> None:
    carol = await identities.ensure("tg:777")
    await identities.set_telegram_user(carol.id, 777)
    bob = await _account(identities, accounts, "bob")

    with pytest.raises(StorageError, match="already connected by another identity"):
        await accounts.activate(bob, telegram_user_id=777, username=None, display_name="B")


async def test_a_revoked_account_releases_its_telegram_user(
    identities: Identities, accounts: Accounts
) -> None:
    alice = await _account(identities, accounts, "alice")
    await accounts.activate(alice, telegram_user_id=12345, username=None, display_name="A")
    await accounts.revoke(alice)
    bob = await _account(identities, accounts, "bob")

    account = await accounts.activate(bob, telegram_user_id=12345, username=None, display_name="B")

    assert account.telegram_user_id == 12345
    assert (await _row(accounts, alice)).telegram_user_id is None


async def test_activating_a_revoked_account_is_refused(identities: Identities, accounts: Accounts) -> None:
    account_id = await _account(identities, accounts)
    await accounts.revoke(account_id)

    with pytest.raises(StorageError, match="disconnected"):
        await accounts.activate(account_id, telegram_user_id=1, username=None, display_name="")


async def test_list_active_returns_only_active_accounts_oldest_first(
    identities: Identities, accounts: Accounts
) -> None:
    ids = [await _account(identities, accounts, f"user-{n}") for n in range(4)]
    for n in (3, 0, 1):
        await accounts.activate(ids[n], telegram_user_id=100 + n, username=None, display_name="")
    await accounts.revoke(ids[1])

    assert [a.id for a in await accounts.list_active()] == [ids[0], ids[3]]


async def test_touch_records_the_last_use(
    identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    account_id = await _account(identities, accounts)
    clock.advance(42)

    await accounts.touch(account_id)

    assert (await _row(accounts, account_id)).last_used_at == clock.now


async def test_send_consent_turns_on_and_off_but_never_on_for_a_revoked_account(
    identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)

    await accounts.set_send_enabled(account_id, True)
    assert (await _row(accounts, account_id)).send_enabled
    await accounts.set_send_enabled(account_id, False)
    assert not (await _row(accounts, account_id)).send_enabled

    await accounts.revoke(account_id)
    with pytest.raises(StorageError, match="disconnected"):
        await accounts.set_send_enabled(account_id, True)
    await accounts.set_send_enabled(account_id, False)
    with pytest.raises(StorageError, match="no Telegram account 404"):
        await accounts.set_send_enabled(404, True)


async def _two_connected(identities: Identities, accounts: Accounts) -> tuple[AccountRow, AccountRow]:
    rows = []
    for subject, telegram_user in (("tg:101", 101), ("tg:202", 202)):
        identity = await identities.ensure(subject)
        rows.append(
            await accounts.connect(
                identity.id,
                device_name="mctltg test",
                sandbox=True,
                telegram_user_id=telegram_user,
                username=None,
                display_name=subject,
                session=PLAINTEXT + subject.encode(),
            )
        )
    return rows[0], rows[1]


@pytest.mark.parametrize(
    "swap",
    [
        # The two rows trade owners (identity_id is UNIQUE, hence the detour through -1).
        (
            "UPDATE telegram_accounts SET identity_id = -1 WHERE id = {a}",
            "UPDATE telegram_accounts SET identity_id = {a_identity} WHERE id = {b}",
            "UPDATE telegram_accounts SET identity_id = {b_identity} WHERE id = {a}",
        ),
        # The row is pointed at another Telegram user.
        ("UPDATE telegram_accounts SET telegram_user_id = 999 WHERE id = {a}",),
    ],
)
async def test_a_session_given_to_another_owner_refuses_to_open_and_the_refusal_is_logged(
    db_path: str,
    identities: Identities,
    accounts: Accounts,
    swap: tuple[str, ...],
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = await _two_connected(identities, accounts)
    names = {"a": a.id, "b": b.id, "a_identity": a.identity_id, "b_identity": b.identity_id}

    with sqlite3.connect(db_path) as conn:  # a database writer, outside mctltg
        for statement in swap:
            conn.execute(statement.format(**names))
    with pytest.raises(SealError, match=f"telegram_account:{a.id} does not open for its owner"):
        await accounts.load_session(a.id)
    refusals = [r.getMessage() for r in caplog.records if "refused the sealed session" in r.getMessage()]
    assert refusals == [
        f"refused the sealed session of Telegram account {a.id}: it does not open for its owner"
        f" (identity {(await _row(accounts, a.id)).identity_id}): tampered, moved to another row or owner,"
        " or sealed with another key"
    ]


async def test_a_session_sealed_before_owners_were_bound_opens_once_and_is_resealed_for_its_owner(
    db: Database, identities: Identities, accounts: Accounts, key: bytes
) -> None:
    a, _ = await _two_connected(identities, accounts)
    legacy = Sealer(key).seal(PLAINTEXT, bound_to=legacy_session_binding(a.id))

    def store(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE telegram_accounts SET session_blob = ? WHERE id = ?", (legacy, a.id))

    await db.write(store)
    assert await accounts.load_session(a.id) == PLAINTEXT
    resealed = await _stored_blob(db, a.id)
    assert resealed != legacy
    with pytest.raises(SealError):
        Sealer(key).open(resealed, bound_to=legacy_session_binding(a.id))
    assert Sealer(key).open(resealed, bound_to=session_binding(a.id, a.identity_id, 101)) == PLAINTEXT


async def test_a_session_saved_before_activation_is_rebound_to_the_telegram_user_it_activates_as(
    identities: Identities, accounts: Accounts
) -> None:
    account_id = await _account(identities, accounts)
    await accounts.save_session(account_id, PLAINTEXT)
    await accounts.activate(account_id, telegram_user_id=303, username=None, display_name="Alice")
    assert await accounts.load_session(account_id) == PLAINTEXT


async def test_an_identity_holds_accounts_up_to_the_limit_each_with_its_own_label(
    identities: Identities, accounts: Accounts
) -> None:
    identity = (await identities.ensure("multi")).id
    main = await accounts.create(identity, device_name="d", limit=2)
    work = await accounts.create(identity, device_name="d", label=" Work ", limit=2)
    with pytest.raises(AccountLimitReached, match="already have 2 Telegram accounts"):
        await accounts.create(identity, device_name="d", label="third", limit=2)
    with pytest.raises(StorageError, match="labelled work"):
        await accounts.create(identity, device_name="d", label="work", limit=2)
    with pytest.raises(InvalidInput, match="starting with a letter"):
        await accounts.create(identity, device_name="d", label="12", limit=2)
    listed = await accounts.list_for_identity(identity)
    assert [(r.label, r.is_default) for r in listed] == [("main", True), ("work", False)]
    assert (main.is_default, work.label) == (True, "work")


async def test_deleting_the_default_makes_the_oldest_remaining_account_the_default(
    identities: Identities, accounts: Accounts
) -> None:
    identity = (await identities.ensure("multi")).id
    first = await accounts.create(identity, device_name="d")
    await accounts.create(identity, device_name="d", label="b")
    third = await accounts.create(identity, device_name="d", label="c")
    await accounts.set_default(identity, third.id)
    assert (await _row(accounts, first.id)).is_default is False
    await accounts.delete(third.id)
    default = await accounts.for_identity(identity)
    assert default is not None
    assert default.id == first.id
