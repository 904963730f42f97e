"""The roster: identities in id order with their accounts, paged by a cursor, searchable."""

from __future__ import annotations

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld
from mctltg.storage.roster import Roster


async def test_the_roster_pages_by_identity_id_and_finds_people_by_name_subject_or_telegram_id(
    services: Services, demo: DemoWorld
) -> None:
    account = await provision_sandbox_account(services, telegram_user_id=demo.me, subject=f"tg:{demo.me}")
    await services.identities.ensure("tg:42", display_name="Grace_Hopper%")
    await services.identities.ensure("tg:43", display_name="Alan")
    roster = Roster(services.database)
    first = await roster.page(query=None, after=None, limit=2)
    rest = await roster.page(query=None, after=first[-1].id, limit=2)
    by_name = await roster.page(query="grace_hopper%", after=None, limit=10)
    wildcard = await roster.page(query="_", after=None, limit=10)
    by_account = await roster.page(query="ada", after=None, limit=10)
    by_telegram_id = await roster.page(query=str(demo.me), after=None, limit=10)
    assert [i.subject for i in first + rest] == [f"tg:{demo.me}", "tg:42", "tg:43"]
    assert [a.id for a in first[0].accounts] == [account]
    assert first[0].accounts[0].status == "active"
    assert first[0].last_use is None or first[0].last_use > 0
    assert [i.subject for i in by_name] == ["tg:42"]
    assert [i.subject for i in wildcard] == ["tg:42"]  # "_" is a letter here, not a LIKE wildcard
    assert [i.subject for i in by_account] == [f"tg:{demo.me}"]  # the account's @ada
    assert [i.subject for i in by_telegram_id] == [f"tg:{demo.me}"]
