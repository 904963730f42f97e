"""``python -m benchmarks``: measure, print the table, keep it in ``docs/benchmarks.md``.

One run starts our server (``mctltg demo`` with a CPU meter on the sandbox Telegram)
and a bare ``mcp`` SDK server with a no-op tool as separate processes, drives both over
loopback HTTP with the lean wire client, splits our CPU per call into the SDK's part,
the fake Telegram's part and ours, then counts RPCs and bytes in process and measures
memory and CPU per account at scale in a process of its own. Every figure is printed
with its goal and a plain verdict; a missed goal says so.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import trio

from benchmarks.definitions import tool_definitions
from benchmarks.http_bench import interleaved_latency, percentile, throughput
from benchmarks.media_bench import measure_photo_image
from benchmarks.processes import REPOSITORY, cpu_seconds, rss_bytes, start_server
from benchmarks.report import Report, machine_summary, write_markdown
from benchmarks.sandbox_bench import OUTPUT_BUDGET, count_rpcs, measure_output

MB = 1024 * 1024

#: Our own CPU per ``list_dialogs`` (server CPU minus the bare SDK's and the sandbox's)
#: before the lean hot path, measured with ``--code /work/main`` on main at e3e3062 on
#: 2026-12-03 on the 2-core VM (median of five runs; see docs/benchmarks.md). The goal is
#: half of it. It is kept in milliseconds and in units of the bare SDK's CPU per no-op
#: call in the same run: the shared machine moves the milliseconds by +-25% from run to
#: run, the ratio by +-10%, so the verdict uses the ratio.
BASELINE_OWN_CPU_MS = 3.37
BASELINE_OWN_PER_SDK = 1.04
BASELINE_WHEN = "2026-12-03, main at e3e3062"


@dataclass(frozen=True, slots=True)
class CpuSplit:
    """CPU per call in milliseconds: our server's total and its parts."""

    total: float
    sdk: float
    sandbox: float

    @property
    def own(self) -> float:
        return self.total - self.sdk - self.sandbox


async def _sandbox_cpu(pid: int, meter: Path) -> tuple[float, int]:
    """The metered demo's sandbox CPU seconds and request count so far (it writes them on SIGUSR1)."""
    path = trio.Path(meter)
    await path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    with trio.fail_after(10):
        while not await path.exists():  # noqa: ASYNC110 - another process writes it; no event to wait on
            await trio.sleep(0.01)
    totals = json.loads(await path.read_text())
    return float(totals["sandbox_cpu"]), int(totals["requests"])


async def run(
    *, calls: int, seconds: float, sessions: int, accounts: int, window: float, code: Path
) -> Report:
    report = Report(machine=machine_summary())
    own_code = code == REPOSITORY
    if not own_code:
        report.add(
            "code measured", str(code), detail="in-process figures skipped: they measure this checkout"
        )
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        meter = Path(folder) / "meter.json"
        async with (
            start_server(
                str(REPOSITORY / "benchmarks" / "metered_demo.py"),
                code=code,
                env={"MCTLTG_BENCH_METER": str(meter)},
            ) as ours,
            start_server("-m", "benchmarks.bare_server", "0") as bare,
        ):
            await _servers(report, ours.url, ours.pid, bare.url, bare.pid, meter, calls, seconds, sessions)
        async with (
            start_server(
                str(REPOSITORY / "benchmarks" / "metered_demo.py"),
                code=code,
                env={"MCTLTG_BENCH_METER": str(meter), "MCTLTG_BENCH_ROUND_TRIP": "0"},
            ) as lite,
            start_server("-m", "benchmarks.bare_server", "0") as bare,
        ):
            await _without_tl_copy(
                report, lite.url, lite.pid, bare.url, bare.pid, meter, calls, seconds, sessions
            )
    if own_code:
        await _in_process(report, accounts, window)
    report.finish()
    return report


async def _servers(
    report: Report,
    ours_url: str,
    ours_pid: int,
    bare_url: str,
    bare_pid: int,
    meter: Path,
    calls: int,
    seconds: float,
    sessions: int,
) -> None:
    idle_ours, idle_bare = rss_bytes(ours_pid), rss_bytes(bare_pid)
    report.add(
        "RSS idle (our server, sandbox, 1 account)",
        f"{idle_ours / MB:.1f} MB",
        detail=f"bare SDK server: {idle_bare / MB:.1f} MB",
    )
    definitions = await tool_definitions(ours_url)
    count = len(definitions.tools)
    report.add(
        f"tools/list, {count} tools: bytes per tool, whole definition",
        f"{definitions.average_total:.0f} B",
        goal="<= 1024 B",
        met=definitions.average_total <= 1024,
        detail=f"{definitions.listing} B in total; "
        + ", ".join(f"{name} {total}" for name, total, _ in definitions.tools),
    )
    report.add(
        "  the part a model reads (name, description, inputSchema)",
        f"{definitions.average_model:.0f} B",
        goal="<= 500 B",
        met=definitions.average_model <= 500,
        detail=", ".join(f"{name} {model}" for name, _, model in definitions.tools),
    )
    ours_cpu, bare_cpu_start = cpu_seconds(ours_pid), cpu_seconds(bare_pid)
    sandbox_start, _ = await _sandbox_cpu(ours_pid, meter)
    with trio.fail_after(300):
        latency = await interleaved_latency(
            ours_url, bare_url, tool="list_dialogs", arguments={"limit": 20}, calls=calls
        )
    sandbox_end, _ = await _sandbox_cpu(ours_pid, meter)
    sampled = len(latency.ours) + latency.warmup
    paired = CpuSplit(
        total=(cpu_seconds(ours_pid) - ours_cpu) / sampled * 1000,
        sdk=(cpu_seconds(bare_pid) - bare_cpu_start) / sampled * 1000,
        sandbox=(sandbox_end - sandbox_start) / sampled * 1000,
    )
    ours_p50, bare_p50 = percentile(latency.ours, 0.5), percentile(latency.bare, 0.5)
    ratio = ours_p50 / bare_p50
    report.add(
        "tools/call list_dialogs, 1 client: p50 / p99",
        f"{ours_p50 * 1000:.2f} / {percentile(latency.ours, 0.99) * 1000:.2f} ms",
        detail=f"bare no-op tool: {bare_p50 * 1000:.2f} / {percentile(latency.bare, 0.99) * 1000:.2f} ms",
    )
    report.add(
        "  ratio to the bare server at p50",
        f"{ratio:.2f}x",
        goal="<= 1.25x",
        met=ratio <= 1.25,
        detail=(
            f"{(ours_p50 * 1000 - paired.sandbox) / (bare_p50 * 1000):.2f}x with the sandbox's CPU"
            " per call taken off our p50 (an estimate: the sandbox answers synchronously on the path)"
        ),
    )
    report.add(
        "server CPU per list_dialogs, 1 client",
        f"{paired.total:.2f} ms",
        detail=(
            f"bare SDK {paired.sdk:.2f} ms (the bare server's CPU per no-op call, the calls interleaved),"
            f" sandbox Telegram {paired.sandbox:.2f} ms, ours {paired.own:.2f} ms"
        ),
    )
    per_sdk = paired.own / paired.sdk
    report.add(
        "  our own CPU per list_dialogs (without SDK and sandbox)",
        f"{paired.own:.2f} ms = {per_sdk:.2f}x SDK",
        goal=f"<= {BASELINE_OWN_PER_SDK / 2:.2f}x SDK",
        met=per_sdk <= BASELINE_OWN_PER_SDK / 2,
        detail=(
            f"in units of the bare SDK's CPU per no-op call in this run; half of the"
            f" {BASELINE_OWN_CPU_MS:.2f} ms = {BASELINE_OWN_PER_SDK:.2f}x measured on {BASELINE_WHEN}"
        ),
    )

    cpu_before, rss_before_load = cpu_seconds(ours_pid), rss_bytes(ours_pid)
    sandbox_before, requests_before = await _sandbox_cpu(ours_pid, meter)
    load = await throughput(
        ours_url, sessions=sessions, seconds=seconds, tool="list_dialogs", arguments={"limit": 20}
    )
    server_cpu = cpu_seconds(ours_pid) - cpu_before
    sandbox_after, requests_after = await _sandbox_cpu(ours_pid, meter)
    bare_before = cpu_seconds(bare_pid)
    yardstick = await throughput(bare_url, sessions=sessions, seconds=seconds, tool="noop", arguments={})
    bare_cpu = cpu_seconds(bare_pid) - bare_before

    split = CpuSplit(
        total=server_cpu / load.calls * 1000,
        sdk=bare_cpu / yardstick.calls * 1000,
        sandbox=(sandbox_after - sandbox_before) / load.calls * 1000,
    )
    share = load.per_second / yardstick.per_second
    report.add(
        f"throughput, {sessions} sessions, list_dialogs",
        f"{load.per_second:.0f} calls/s",
        goal=">= 0.8x bare",
        met=share >= 0.8,
        detail=(
            f"{share:.2f}x the bare server's {yardstick.per_second:.0f} calls/s"
            f" ({yardstick.errors} errors there; {share * split.total / (split.total - split.sandbox):.2f}x"
            f" estimated without the sandbox's CPU); {load.calls} calls in {load.seconds:.1f} s,"
            f" p50 {percentile(load.latencies, 0.5) * 1000:.1f} ms,"
            f" p99 {percentile(load.latencies, 0.99) * 1000:.1f} ms"
        ),
    )
    report.add(f"  errors in {load.calls} calls", str(load.errors), goal="0", met=load.errors == 0)
    report.add(
        f"server CPU per list_dialogs, {sessions} sessions",
        f"{split.total:.2f} ms",
        detail=(
            f"bare SDK {split.sdk:.2f} ms (its CPU per no-op call under the same load),"
            f" sandbox Telegram {split.sandbox:.2f} ms"
            f" ({(requests_after - requests_before) / load.calls:.2f} RPCs per call),"
            f" ours {split.own:.2f} ms"
        ),
    )
    report.add(
        "RSS after the throughput run",
        f"{rss_bytes(ours_pid) / MB:.1f} MB",
        detail=f"{rss_before_load / MB:.1f} MB before it",
    )


async def _without_tl_copy(
    report: Report,
    ours_url: str,
    ours_pid: int,
    bare_url: str,
    bare_pid: int,
    meter: Path,
    calls: int,
    seconds: float,
    sessions: int,
) -> None:
    """The same latency and throughput goals, the sandbox serving without its TL copy.

    A second configuration, reported next to the default one and never instead of it:
    the sandbox shares our process and GIL, and its copy of each request and answer
    through the TL wire format is most of its cost; a real deployment pays neither.
    """
    label = "sandbox without TL copy (round_trip=False)"
    ours_cpu, bare_cpu = cpu_seconds(ours_pid), cpu_seconds(bare_pid)
    sandbox_start, _ = await _sandbox_cpu(ours_pid, meter)
    with trio.fail_after(300):
        latency = await interleaved_latency(
            ours_url, bare_url, tool="list_dialogs", arguments={"limit": 20}, calls=calls
        )
    sandbox_end, _ = await _sandbox_cpu(ours_pid, meter)
    sampled = len(latency.ours) + latency.warmup
    paired = CpuSplit(
        total=(cpu_seconds(ours_pid) - ours_cpu) / sampled * 1000,
        sdk=(cpu_seconds(bare_pid) - bare_cpu) / sampled * 1000,
        sandbox=(sandbox_end - sandbox_start) / sampled * 1000,
    )
    ours_p50, bare_p50 = percentile(latency.ours, 0.5), percentile(latency.bare, 0.5)
    ratio = ours_p50 / bare_p50
    report.add(
        f"{label}: list_dialogs p50 ratio to the bare server",
        f"{ratio:.2f}x",
        goal="<= 1.25x",
        met=ratio <= 1.25,
        detail=(
            f"p50 {ours_p50 * 1000:.2f} ms vs bare {bare_p50 * 1000:.2f} ms;"
            f" server CPU {paired.total:.2f} ms ="
            f" bare SDK {paired.sdk:.2f} + sandbox {paired.sandbox:.2f} + ours {paired.own:.2f}"
            f" ({paired.own / paired.sdk:.2f}x SDK)"
        ),
    )
    load = await throughput(
        ours_url, sessions=sessions, seconds=seconds, tool="list_dialogs", arguments={"limit": 20}
    )
    yardstick = await throughput(bare_url, sessions=sessions, seconds=seconds, tool="noop", arguments={})
    share = load.per_second / yardstick.per_second
    report.add(
        f"{label}: throughput, {sessions} sessions",
        f"{load.per_second:.0f} calls/s",
        goal=">= 0.8x bare",
        met=share >= 0.8 and load.errors == 0,
        detail=(
            f"{share:.2f}x the bare server's {yardstick.per_second:.0f} calls/s in this run;"
            f" {load.errors} errors in {load.calls} calls"
        ),
    )


async def _in_process(report: Report, accounts: int, window: float) -> None:
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
        goal=f"<= {OUTPUT_BUDGET} B",
        met=size.text_bytes <= OUTPUT_BUDGET,
        detail=(
            f"{size.text_bytes / 8689:.2f}x the 8689 B of main at e3e3062;"
            f" {size.text_bytes / size.messages:.0f} B per message; the whole result with"
            f" structuredContent: {size.result_bytes} B"
        ),
    )
    photo = await measure_photo_image()
    report.add(
        "get_media, the 5 MB photo as an image block",
        f"{photo.served_ms:.0f} ms = {photo.ratio:.2f}x Pillow alone",
        goal="<= 2x Pillow alone",
        met=photo.ratio <= 2,
        detail=(
            f"downloads {photo.source_bytes / MB:.1f} MB (the smallest stored size reaching 1568 px),"
            f" returns a {photo.image_bytes / 1024:.0f} KB JPEG ({photo.result_bytes / 1024:.0f} KB result);"
            f" Pillow's decode and re-encode of the same bytes, in the same run: {photo.pillow_ms:.0f} ms"
        ),
    )
    scale = await _accounts_scale(accounts, window)
    per_account = (scale["rss_all"] - scale["rss_one"]) / accounts
    report.add(
        f"RSS per additional connected account ({accounts} accounts)",
        f"{per_account / 1024:.0f} KB",
        goal="<= 2 MB",
        met=per_account <= 2 * MB and scale["running"] == accounts + 1,
        detail=(
            f"{scale['rss_one'] / MB:.1f} MB with 1, {scale['rss_all'] / MB:.1f} MB with {accounts + 1}"
            f" (connected in {scale['connect_seconds']:.0f} s),"
            f" {scale['rss_after_updates'] / MB:.1f} MB after the updates below"
        ),
    )
    ours = scale["process_cpu"] - scale["sandbox_cpu"]
    per_minute = ours / scale["window_seconds"] * 60 / (accounts + 1) * 1000
    report.add(
        f"  CPU per connected account, an update a minute each ({accounts} accounts)",
        f"{per_minute:.2f} ms/min",
        detail=(
            f"{ours / scale['window_seconds'] * 100:.1f}% of a core for all {accounts + 1};"
            f" {scale['pushes']:.0f} updates in {scale['window_seconds']:.0f} s; the sandbox's own"
            f" {scale['sandbox_cpu']:.1f} s of CPU to make them is left out"
        ),
    )


async def _accounts_scale(accounts: int, window: float) -> dict[str, float]:
    with trio.fail_after(240 + window):
        done = await trio.run_process(
            [sys.executable, "-m", "benchmarks.accounts_scale", str(accounts), str(window)],
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
    parser.add_argument("--accounts", type=int, default=2000, help="accounts for the scale figure")
    parser.add_argument("--window", type=float, default=30, help="seconds of updates for the scale figure")
    parser.add_argument(
        "--code", type=Path, default=REPOSITORY, help="the mctltg checkout to serve (default this one)"
    )
    parser.add_argument(
        "--markdown", default=None, help="replace the results in this file (docs/benchmarks.md)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    report = trio.run(
        lambda: run(
            calls=args.calls,
            seconds=args.seconds,
            sessions=args.sessions,
            accounts=args.accounts,
            window=args.window,
            code=args.code.resolve(),
        )
    )
    print(report.table())
    print(f"\n{report.machine}\nbenchmark took {time.monotonic() - started:.0f} s")
    if args.markdown:  # None or '': leave the document alone
        write_markdown(Path(args.markdown), report)
        print(f"results written to {args.markdown}")
    return 0  # a missed goal is a finding the table states, not a failure of the run


if __name__ == "__main__":
    raise SystemExit(main())
