"""Identities (mctltg/storage/identities.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mctltg.errors import StorageError
from mctltg.storage import Identities, IdentityRow

if TYPE_CHECKING:
    from mctltg.sandbox.testing import ManualClock


async def test_ensure_creates_an_identity_once_and_then_returns_it(
    identities: Identities, clock: ManualClock
) -> None:
    created = await identities.ensure("operator", display_name="Operator")
    clock.advance(60)

    again = await identities.ensure("operator")

    assert created == IdentityRow(
        id=created.id,
        subject="operator",
        telegram_user_id=None,
        display_name="Operator",
        created_at=clock.now - 60,
    )
    assert again == created


async def test_ensure_with_a_new_display_name_updates_it(identities: Identities) -> None:
    first = await identities.ensure("tg:42", display_name="Old")

    renamed = await identities.ensure("tg:42", display_name="New")

    assert renamed.id == first.id
    assert renamed.display_name == "New"
    assert renamed.created_at == first.created_at


async def test_ensure_refuses_an_empty_subject(identities: Identities) -> None:
    with pytest.raises(ValueError, match="subject"):
        await identities.ensure("")


async def test_identities_are_found_by_id_and_by_subject(identities: Identities) -> None:
    alice = await identities.ensure("alice")
    await identities.ensure("bob")

    assert await identities.get(alice.id) == alice
    assert await identities.by_subject("alice") == alice
    assert await identities.get(999) is None
    assert await identities.by_subject("nobody") is None


async def test_set_telegram_user_records_the_proven_telegram_id(identities: Identities) -> None:
    alice = await identities.ensure("tg:12345")

    updated = await identities.set_telegram_user(alice.id, 12345)

    assert updated.telegram_user_id == 12345
    assert await identities.get(alice.id) == updated


async def test_a_telegram_user_cannot_belong_to_two_identities(identities: Identities) -> None:
    alice = await identities.ensure("alice")
    bob = await identities.ensure("bob")
    await identities.set_telegram_user(alice.id, 12345)

    with pytest.raises(StorageError, match="already belongs to another identity"):
        await identities.set_telegram_user(bob.id, 12345)

    assert (await identities.get(bob.id)) == bob


async def test_set_telegram_user_on_a_missing_identity_raises(identities: Identities) -> None:
    with pytest.raises(StorageError, match="no identity 7"):
        await identities.set_telegram_user(7, 12345)
