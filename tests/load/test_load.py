"""Load: 100 concurrent MCP sessions × 50 mixed tool calls over loopback; no errors, memory comes back.

The server is a real ``mctltg demo`` process (its memory is measured from /proc,
apart from the client's); the client is the benchmark's lean wire client, so the
2 cores go to the server rather than to client bookkeeping. The mix is what a model
does: list the dialogs, read unread messages, page a chat, search, check the send
status, draft a message (the demo's send gate keeps it a draft).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import trio

from benchmarks.http_bench import percentile
from benchmarks.processes import rss_bytes
from benchmarks.wire import WireSession, open_http
from tests.harness.processes import start_demo

pytestmark = pytest.mark.slow

SESSIONS = 100
CALLS_PER_SESSION = 50


def _mix(index: int, peer: str) -> tuple[str, dict[str, Any]]:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_dialogs", {"limit": 20}),
        ("get_unread_messages", {"limit": 20}),
        ("get_messages", {"peer": peer, "limit": 20}),
        ("search_messages", {"query": "engine", "limit": 10}),
        ("get_my_send_status", {}),
        ("send_message", {"peer": peer, "text": f"draft {index}"}),
    ]
    return calls[index % len(calls)]


async def _settled_rss(pid: int, ceiling: int) -> int:
    """RSS once it stops falling (the server finishes closing sessions); at most 5 s of polling."""
    seen = rss_bytes(pid)
    for _ in range(50):
        if seen <= ceiling:
            return seen
        await trio.sleep(0.1)
        seen = rss_bytes(pid)
    return seen


async def test_a_hundred_sessions_of_fifty_mixed_calls_have_no_errors_and_memory_comes_back(
    record_property: Any,
) -> None:
    async with start_demo() as server:
        pid = server.process.pid
        url = f"{server.url}/mcp"
        async with open_http(SESSIONS) as http:
            with trio.fail_after(60):  # warm-up: imports, caches and pools reach their working size
                warm = [await WireSession(http, url).open() for _ in range(SESSIONS)]
                dialogs = await warm[0].call_tool("list_dialogs", {"limit": 20})
                peers = [d["peer"] for d in dialogs["structuredContent"]["dialogs"]]

                async def warm_up(number: int, session: WireSession) -> None:
                    for index in range(6):
                        await session.call_tool(*_mix(index, peers[number % len(peers)]))

                async with trio.open_nursery() as nursery:
                    for number, session in enumerate(warm):
                        nursery.start_soon(warm_up, number, session)
                for session in warm:
                    await session.close()
            await trio.sleep(0.5)
            start_rss = rss_bytes(pid)

            latencies: list[float] = []
            failures: list[str] = []

            async def one_session(number: int) -> None:
                session = await WireSession(http, url).open()
                peer = peers[number % len(peers)]
                for index in range(CALLS_PER_SESSION):
                    tool, arguments = _mix(number + index, peer)
                    started = time.perf_counter()
                    try:
                        answer = await session.call_tool(tool, arguments)
                    except Exception as exc:
                        failures.append(f"{tool}: {exc!r}")
                        continue
                    latencies.append(time.perf_counter() - started)
                    if answer.get("isError"):
                        failures.append(f"{tool}: {answer.get('structuredContent')}")
                await session.close()

            started = time.perf_counter()
            with trio.fail_after(240):
                async with trio.open_nursery() as nursery:
                    for number in range(SESSIONS):
                        nursery.start_soon(one_session, number)
            elapsed = time.perf_counter() - started
            end_rss = await _settled_rss(pid, int(start_rss * 1.10))

    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    summary = (
        f"{len(latencies)} calls in {elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s), "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"RSS {start_rss / 2**20:.1f} -> {end_rss / 2**20:.1f} MB"
    )
    record_property("load", summary)
    print(f"\nload: {summary}")
    assert failures == [], failures[:5]
    assert len(latencies) == SESSIONS * CALLS_PER_SESSION
    assert end_rss <= start_rss * 1.10, summary
