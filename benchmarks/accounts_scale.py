"""Memory and CPU per connected account at scale, measured in a process of its own.

Run: ``python -m benchmarks.accounts_scale COUNT SECONDS``; prints one JSON line. The
sandbox users exist before the first reading, so the world's own bookkeeping (which
real Telegram keeps on its side) is not charged to us. One account is connected first
so one-off costs (imports, caches, the first Telethon client) are not charged to the
others either; then ``COUNT`` more connect, each through a real Telethon client with
its own auth key, and each answers ``get_me``.

Then, for ``SECONDS``, the sandbox pushes updates at the rate of one new message per
account per minute, spread evenly, and the process's CPU over that window is read.
The sandbox's own part of a push (storing the message, building and copying the
update through the TL wire format) runs on this thread inside ``world.send`` and is
timed with the thread's CPU clock and subtracted: it is the fake Telegram's cost.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import trio

from benchmarks.processes import rss_bytes
from benchmarks.sandbox_bench import _settings
from mctltg.app import open_services, provision_sandbox_account
from mctltg.sandbox import SandboxWorld

__all__ = ["main"]

UPDATES_PER_ACCOUNT_PER_MINUTE = 1


def _rss() -> int:
    gc.collect()
    return rss_bytes(os.getpid())


async def main(count: int, seconds: float) -> dict[str, float]:
    world = SandboxWorld()
    people = [world.add_user(first_name=f"Person {index}") for index in range(count + 1)]
    newsdesk = world.add_user(first_name="Newsdesk")
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        async with open_services(_settings(Path(folder)), world=world) as services:
            first = await provision_sandbox_account(services, telegram_user_id=people[0], subject="p0")
            await trio.sleep(0.5)
            before = _rss()
            accounts = [first]
            connect_started = time.monotonic()
            with trio.fail_after(240):
                for index, person in enumerate(people[1:], start=1):
                    accounts.append(
                        await provision_sandbox_account(
                            services, telegram_user_id=person, subject=f"p{index}"
                        )
                    )
            connect_seconds = time.monotonic() - connect_started
            await trio.sleep(0.5)
            after = _rss()
            pushes, process_cpu, sandbox_cpu = await _push_updates(world, newsdesk, people, seconds)
            after_updates = _rss()
            running = sum(1 for account in accounts if services.pool.state(account) is not None)
    return {
        "accounts": count,
        "rss_one": before,
        "rss_all": after,
        "rss_after_updates": after_updates,
        "running": running,
        "connect_seconds": connect_seconds,
        "window_seconds": seconds,
        "pushes": pushes,
        "process_cpu": process_cpu,
        "sandbox_cpu": sandbox_cpu,
    }


async def _push_updates(
    world: SandboxWorld, sender: int, people: list[int], seconds: float
) -> tuple[int, float, float]:
    """Push one message per account per minute for ``seconds``; (pushes, process CPU, sandbox CPU)."""
    interval = 60 / (UPDATES_PER_ACCOUNT_PER_MINUTE * len(people))
    sandbox_cpu = 0.0
    pushes = 0
    cpu_started = time.process_time()
    started = trio.current_time()
    with trio.move_on_after(seconds + 5):
        while pushes < int(seconds / interval):
            await trio.sleep_until(started + pushes * interval)
            thread_started = time.thread_time()
            world.send(sender=sender, peer=f"user:{people[pushes % len(people)]}", text=f"update {pushes}")
            sandbox_cpu += time.thread_time() - thread_started
            pushes += 1
        await trio.sleep_until(started + seconds)
    return pushes, time.process_time() - cpu_started, sandbox_cpu


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    window = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    print(json.dumps(trio.run(main, count, window)), flush=True)
