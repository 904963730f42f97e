"""Memory per connected account, measured in a process of its own.

Run: ``python -m benchmarks.accounts_memory COUNT``; prints one JSON line. The
sandbox users exist before the first measurement, so the world's own bookkeeping
(which real Telegram keeps on its side) is not charged to us. One account is
connected first so one-off costs (imports, caches, the first Telethon client) are
not charged to the others either; then ``COUNT`` more connect, each through a real
Telethon client with its own auth key, and each answers ``get_me``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from pathlib import Path

import trio

from benchmarks.processes import rss_bytes
from benchmarks.sandbox_bench import _settings
from mctltg.app import open_services, provision_sandbox_account
from mctltg.sandbox import SandboxWorld

__all__ = ["main"]


def _rss() -> int:
    gc.collect()
    return rss_bytes(os.getpid())


async def main(count: int) -> dict[str, float]:
    world = SandboxWorld()
    people = [world.add_user(first_name=f"Person {index}") for index in range(count + 1)]
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        async with open_services(_settings(Path(folder)), world=world) as services:
            first = await provision_sandbox_account(services, telegram_user_id=people[0], subject="p0")
            await trio.sleep(0.5)
            before = _rss()
            accounts = [first]
            with trio.fail_after(240):
                for index, person in enumerate(people[1:], start=1):
                    accounts.append(
                        await provision_sandbox_account(
                            services, telegram_user_id=person, subject=f"p{index}"
                        )
                    )
            await trio.sleep(0.5)
            after = _rss()
            running = sum(1 for account in accounts if services.pool.state(account) is not None)
    return {"accounts": count, "rss_one": before, "rss_all": after, "running": running}


if __name__ == "__main__":
    print(json.dumps(trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 200)), flush=True)
