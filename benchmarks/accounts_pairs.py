"""Memory per connected account when each person holds two accounts, in a process of its own.

Run: ``python -m benchmarks.accounts_pairs PAIRS``; prints one JSON line. Like
``accounts_scale``, the sandbox users exist before the first reading and one account is
connected (and used) first, so one-off costs are not charged to the rest. Then ``PAIRS``
identities each connect two accounts, "main" (the default) and "work", each through a
real Telethon client with its own auth key, and each answers ``get_me`` through the
directory as a tool would reach it: by the default for "main", by label for "work"
(so the per-account caches of both ways of naming an account are in the figure).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import trio

from benchmarks.accounts_scale import _rss
from benchmarks.sandbox_bench import _settings
from mctltg.app import open_services, provision_sandbox_account
from mctltg.sandbox import SandboxWorld

__all__ = ["main"]


async def main(pairs: int) -> dict[str, float]:
    world = SandboxWorld()
    people = [world.add_user(first_name=f"Person {index}") for index in range(2 * pairs + 1)]
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        async with open_services(_settings(Path(folder)), world=world) as services:
            await provision_sandbox_account(services, telegram_user_id=people[0], subject="warm")
            warm = await services.identities.ensure("warm")
            await (await services.directory.account_for(warm.id)).profile()
            await trio.sleep(0.5)
            before = _rss()
            started = time.monotonic()
            answered = 0
            with trio.fail_after(60 + pairs):
                for index in range(pairs):
                    subject = f"person{index}"
                    for label, person in (("main", people[2 * index + 1]), ("work", people[2 * index + 2])):
                        await provision_sandbox_account(
                            services, telegram_user_id=person, subject=subject, label=label
                        )
                    identity = await services.identities.ensure(subject)
                    for choice in (None, "work"):
                        profile = await (await services.directory.account_for(identity.id, choice)).profile()
                        answered += profile is not None
            connect_seconds = time.monotonic() - started
            await trio.sleep(0.5)
            after = _rss()
            pool = services.pool.statistics()
    return {
        "pairs": pairs,
        "accounts": 2 * pairs,
        "answered": answered,
        "rss_one": before,
        "rss_all": after,
        "connect_seconds": connect_seconds,
        "running": pool.accounts,
        "ready": pool.ready,
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps(trio.run(main, count)), flush=True)
