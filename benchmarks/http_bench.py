"""Latency and throughput over real HTTP, measured with the lean wire client.

Latency alternates one call to our server with one call to the bare SDK server,
so whatever else the machine is doing at that moment weighs on both alike; the
ratio of the two medians is the figure that matters. Throughput runs N sessions
that each call in a loop for a fixed time, and counts every failure: an HTTP
error, a JSON-RPC error, or a tool result with ``isError``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import trio

from benchmarks.wire import McpError, WireSession, open_http

__all__ = ["Latencies", "Throughput", "interleaved_latency", "percentile", "throughput"]


#: A throughput run stops at its deadline or after this many calls, whichever comes first.
MAX_CALLS = 100_000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


@dataclass(frozen=True, slots=True)
class Latencies:
    ours: list[float]
    bare: list[float]
    warmup: int


async def interleaved_latency(
    ours_url: str, bare_url: str, *, tool: str, arguments: dict[str, Any], calls: int, warmup: int = 50
) -> Latencies:
    """``calls`` sequential calls to each server, alternating; seconds per call."""
    ours: list[float] = []
    bare: list[float] = []
    async with open_http(2) as http:
        mine = await WireSession(http, ours_url).open()
        yardstick = await WireSession(http, bare_url).open()
        for index in range(warmup + calls):  # bounded in count here and in time by the caller
            started = time.perf_counter()
            answer = await mine.call_tool(tool, arguments)
            middle = time.perf_counter()
            await yardstick.call_tool("noop", {})
            ended = time.perf_counter()
            if answer.get("isError"):
                raise McpError(f"{tool} failed during the latency run: {answer}")
            if index >= warmup:
                ours.append(middle - started)
                bare.append(ended - middle)
        await mine.close()
        await yardstick.close()
    return Latencies(ours=ours, bare=bare, warmup=warmup)


@dataclass(frozen=True, slots=True)
class Throughput:
    sessions: int
    calls: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds


async def throughput(
    url: str, *, sessions: int, seconds: float, tool: str, arguments: dict[str, Any]
) -> Throughput:
    """``sessions`` MCP sessions calling ``tool`` back to back for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    async with open_http(sessions) as http:
        opened = [await WireSession(http, url).open() for _ in range(sessions)]
        deadline = time.perf_counter() + seconds

        async def loop(session: WireSession) -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) < MAX_CALLS:
                started = time.perf_counter()
                try:
                    answer = await session.call_tool(tool, arguments)
                except McpError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if answer.get("isError"):
                    errors += 1

        started = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for session in opened:
                nursery.start_soon(loop, session)
        elapsed = time.perf_counter() - started
        for session in opened:
            await session.close()
    return Throughput(
        sessions=sessions, calls=len(latencies), errors=errors, seconds=elapsed, latencies=latencies
    )
