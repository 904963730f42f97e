"""A sharing rule is stored per account, survives a restart, and goes with its account."""

from __future__ import annotations

import trio

from mctltg.accounts import SharedChats, SharingRule, delete_account
from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld
from mctltg.storage import SharingRules


async def test_a_rule_is_read_back_by_a_fresh_cache_as_after_a_restart(
    services: Services, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    operator = await services.directory.operator()
    rule = SharingRule.only([f"chat:{demo.group}"], [demo.folders[0]], [f"user:{demo.contacts[1]}"])
    with trio.fail_after(10):
        await services.directory.set_sharing(operator.id, rule, may_widen=True)
        restarted = SharedChats(SharingRules(services.database))
        assert await restarted.rule_of(account_id) == rule


async def test_going_back_to_everything_leaves_no_row_and_a_deleted_account_s_rule_is_gone(
    services: Services, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    operator = await services.directory.operator()
    rules = SharingRules(services.database)
    with trio.fail_after(10):
        await services.directory.set_sharing(operator.id, SharingRule(), may_widen=True)
        assert await rules.get(account_id) is None
        await services.directory.set_sharing(operator.id, SharingRule.all_but(["user:5"]), may_widen=True)
        assert await rules.get(account_id) is not None
        await delete_account(services.directory, operator.id)
        assert await rules.get(account_id) is None
        await provision_sandbox_account(services, telegram_user_id=demo.me)
        assert not (await services.directory.sharing_of(operator.id)).restricted
