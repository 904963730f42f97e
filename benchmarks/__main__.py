"""``python -m benchmarks``: measure, print the table, keep it in ``docs/benchmarks.md``.

One run starts our server (``mctltg demo``, the sandbox Telegram) and a bare ``mcp``
SDK server with a no-op tool as separate processes, drives both over loopback
HTTP with the lean wire client, then counts RPCs and bytes in process and measures
memory per account in a process of its own. Every figure is printed with its goal
and a plain verdict; a missed goal says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import trio

from benchmarks.http_bench import interleaved_latency, percentile, throughput
from benchmarks.processes import REPOSITORY, cpu_seconds, rss_bytes, start_server
from benchmarks.report import Report, machine_summary, write_markdown
from benchmarks.sandbox_bench import count_rpcs, measure_output

MB = 1024 * 1024


async def run(*, calls: int, seconds: float, sessions: int, accounts: int) -> Report:
    report = Report(machine=machine_summary())
    async with (
        start_server("-m", "mctltg", "demo", "--port", "0") as ours,
        start_server("-m", "benchmarks.bare_server", "0") as bare,
    ):
        idle_ours, idle_bare = rss_bytes(ours.pid), rss_bytes(bare.pid)
        report.add(
            "RSS idle (our server, sandbox, 1 account)",
            f"{idle_ours / MB:.1f} MB",
            detail=f"bare SDK server: {idle_bare / MB:.1f} MB",
        )
        latency = await interleaved_latency(
            ours.url, bare.url, tool="list_dialogs", arguments={"limit": 20}, calls=calls
        )
        ours_p50, bare_p50 = percentile(latency.ours, 0.5), percentile(latency.bare, 0.5)
        ratio = ours_p50 / bare_p50
        report.add(
            "tools/call list_dialogs, 1 client: p50 / p99",
            f"{ours_p50 * 1000:.2f} / {percentile(latency.ours, 0.99) * 1000:.2f} ms",
            detail=f"bare no-op tool: {bare_p50 * 1000:.2f} / {percentile(latency.bare, 0.99) * 1000:.2f} ms",
        )
        report.add("  ratio to the bare server at p50", f"{ratio:.2f}x", goal="<= 1.25x", met=ratio <= 1.25)
        cpu_before = cpu_seconds(ours.pid)
        rss_before_load = rss_bytes(ours.pid)
        load = await throughput(
            ours.url, sessions=sessions, seconds=seconds, tool="list_dialogs", arguments={"limit": 20}
        )
        server_cpu = cpu_seconds(ours.pid) - cpu_before
        report.add(
            f"throughput, {sessions} sessions, list_dialogs",
            f"{load.per_second:.0f} calls/s",
            goal=">= 500 calls/s",
            met=load.per_second >= 500,
            detail=(
                f"{load.calls} calls in {load.seconds:.1f} s,"
                f" p50 {percentile(load.latencies, 0.5) * 1000:.1f} ms,"
                f" p99 {percentile(load.latencies, 0.99) * 1000:.1f} ms;"
                f" server CPU {server_cpu / load.calls * 1000:.2f} ms per call"
            ),
        )
        report.add(f"  errors in {load.calls} calls", str(load.errors), goal="0", met=load.errors == 0)
        yardstick = await throughput(bare.url, sessions=sessions, seconds=seconds, tool="noop", arguments={})
        report.add(
            f"  bare no-op server, same {sessions} sessions",
            f"{yardstick.per_second:.0f} calls/s",
            detail=f"{yardstick.errors} errors; the ceiling this client and machine allow",
        )
        report.add(
            "RSS after the throughput run",
            f"{rss_bytes(ours.pid) / MB:.1f} MB",
            detail=f"{rss_before_load / MB:.1f} MB before it",
        )
    for count in await count_rpcs():
        report.add(
            f"RPCs: {count.scenario}",
            f"{count.first} first, {count.again} again",
            detail=", ".join(
                name.removeprefix("messages.").removesuffix("Request") for name in count.requests
            ),
        )
    size = await measure_output()
    report.add(
        f"output of get_messages, {size.messages} messages",
        f"{size.text_bytes} B text",
        detail=(
            f"{size.text_bytes / size.messages:.0f} B per message; the whole result with"
            f" structuredContent: {size.result_bytes} B"
        ),
    )
    memory = await _accounts_memory(accounts)
    per_account = (memory["rss_all"] - memory["rss_one"]) / accounts
    report.add(
        f"RSS per additional connected account ({accounts} accounts)",
        f"{per_account / 1024:.0f} KB",
        goal="<= 2 MB",
        met=per_account <= 2 * MB and memory["running"] == accounts + 1,
        detail=f"{memory['rss_one'] / MB:.1f} MB with 1, {memory['rss_all'] / MB:.1f} MB with {accounts + 1}",
    )
    report.finish()
    return report


async def _accounts_memory(accounts: int) -> dict[str, float]:
    done = await trio.run_process(
        [sys.executable, "-m", "benchmarks.accounts_memory", str(accounts)],
        capture_stdout=True,
        stderr=subprocess.DEVNULL,
        cwd=REPOSITORY,
    )
    result: dict[str, float] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="latency samples per server (default 500)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each throughput run")
    parser.add_argument("--sessions", type=int, default=64, help="concurrent MCP sessions")
    parser.add_argument("--accounts", type=int, default=200, help="accounts for the memory figure")
    parser.add_argument(
        "--markdown", type=Path, default=None, help="replace the results in this file (docs/benchmarks.md)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    report = trio.run(
        lambda: run(calls=args.calls, seconds=args.seconds, sessions=args.sessions, accounts=args.accounts)
    )
    print(report.table())
    print(f"\n{report.machine}\nbenchmark took {time.monotonic() - started:.0f} s")
    if args.markdown is not None:
        write_markdown(args.markdown, report)
        print(f"results written to {args.markdown}")
    return 0  # a missed goal is a finding the table states, not a failure of the run


if __name__ == "__main__":
    raise SystemExit(main())
