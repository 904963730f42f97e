"""Server processes for the benchmark: start one, learn its URL, read its memory, stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

__all__ = ["ServerProcess", "cpu_seconds", "rss_bytes", "start_server"]

REPOSITORY = Path(__file__).resolve().parent.parent
_MARKER = "MCP endpoint:"


@dataclass(frozen=True, slots=True)
class ServerProcess:
    url: str
    pid: int


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def start_server(
    *argv: str, ready_seconds: float = 60, code: Path = REPOSITORY, env: dict[str, str] | None = None
) -> AsyncIterator[ServerProcess]:
    """Run ``python <argv>`` until it prints ``MCP endpoint: <url>``; SIGTERM it afterwards.

    ``code`` goes first on ``PYTHONPATH``: the ``mctltg`` the process imports (this
    checkout, or another one such as main's for a baseline).
    """
    path = str(code) if code == REPOSITORY else f"{code}{os.pathsep}{REPOSITORY}"
    process = await trio.lowlevel.open_process(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})},
    )
    try:
        assert process.stdout is not None
        buffer = ""
        with trio.fail_after(ready_seconds):
            while _MARKER not in buffer or not buffer.split(_MARKER, 1)[1].strip("\r ").count("\n"):
                chunk = await process.stdout.receive_some(65536)
                if not chunk:
                    raise RuntimeError(f"{' '.join(argv)} exited before it listened: {buffer[-2000:]}")
                buffer += chunk.decode(errors="replace")
        url = buffer.split(_MARKER, 1)[1].split("\n", 1)[0].strip()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_drain, process.stdout)
            yield ServerProcess(url=url, pid=process.pid)
            nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            with trio.move_on_after(10):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _drain(stream: trio.abc.ReceiveStream) -> None:
    while await stream.receive_some(65536):
        pass
