"""Other processes a test starts: a real ``mctltg demo`` or ``mctltg serve``, and the Node scripts.

Each yields once the process has said it is ready (a marker line on its output), keeps
reading its output in the background so it never blocks on a full pipe, and ends it
with SIGTERM, then SIGKILL, when the block ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import trio

__all__ = ["NODE_DIR", "RunningServer", "node_binary", "start_demo", "start_node", "start_serve"]

NODE_DIR: Final = Path(__file__).resolve().parent.parent / "node"
NODE: Final = NODE_DIR / "node_modules" / ".bin" / "node"


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A ``mctltg`` process: its base URL, the process, and everything it printed so far."""

    url: str
    process: trio.Process
    output: list[str]


async def _read_until(
    stream: trio.abc.ReceiveStream, marker: str, output: list[str], *, who: str = "the server"
) -> str:
    """Read until ``marker`` appears; all of it is kept in ``output`` too."""
    buffer = ""
    while marker not in buffer:
        chunk = await stream.receive_some(65536)
        if not chunk:
            raise AssertionError(f"{who} exited before printing {marker!r}: {''.join(output)}")
        text = chunk.decode(errors="replace")
        output.append(text)
        buffer += text
    return buffer


@asynccontextmanager
async def start_demo(*extra: str, command: Sequence[str] | None = None) -> AsyncIterator[RunningServer]:
    """Run ``mctltg demo --port 0`` and yield its base URL once it is ready.

    ``command`` runs another ``mctltg`` (the built executable) instead of this source tree's.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await trio.lowlevel.open_process(
        [*(command or (sys.executable, "-m", "mctltg")), "demo", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        with trio.fail_after(30):
            text = await _read_until(process.stdout, "Ctrl+C", output)
        line = next(line for line in text.splitlines() if "MCP endpoint:" in line)
        url = line.split("MCP endpoint:", 1)[1].strip().removesuffix("/mcp")
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_drain, process.stdout, output)
            yield RunningServer(url=url, process=process, output=output)
            nursery.cancel_scope.cancel()
    finally:
        await _end(process, grace=10)


@asynccontextmanager
async def start_serve(settings: dict[str, str], *, base_url: str) -> AsyncIterator[RunningServer]:
    """Run ``mctltg serve`` with exactly ``settings`` as its environment's mctltg settings.

    Yields once it logs that it listens; ``base_url`` is where it does (``ADDR`` in
    ``settings`` says so, and a test that registers URLs ahead, such as an OIDC redirect
    URI, must choose the port itself).
    """
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")}
    env |= {"PYTHONUNBUFFERED": "1", **settings}
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "mctltg", "serve"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        with trio.fail_after(30):
            await _read_until(process.stdout, "listening", output)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_drain, process.stdout, output)
            yield RunningServer(url=base_url, process=process, output=output)
            nursery.cancel_scope.cancel()
    finally:
        await _end(process, grace=10)


async def _end(process: trio.Process, *, grace: float) -> None:
    """SIGTERM, ``grace`` seconds to exit, then SIGKILL.

    SIGTERM first: the onefile executable's bootloader forwards it to the Python process
    it unpacked and started, whereas SIGKILL would orphan that process.
    """
    if process.returncode is None:
        process.terminate()
    with trio.move_on_after(grace):
        await process.wait()
    if process.returncode is None:
        process.kill()
        with trio.move_on_after(5):
            await process.wait()


async def _drain(stream: trio.abc.ReceiveStream, output: list[str]) -> None:
    while chunk := await stream.receive_some(65536):
        output.append(chunk.decode(errors="replace"))


def node_binary() -> str:
    """The Node binary ``scripts/install-node`` put in ``tests/node``."""
    if not NODE.exists():
        raise AssertionError(f"{NODE} is missing: run scripts/install-node (scripts/test does) first")
    return str(NODE)


@asynccontextmanager
async def start_node(script: str, *args: str, ready: str = "READY ") -> AsyncIterator[tuple[str, list[str]]]:
    """Run a node script from tests/node; yield the rest of its first ``ready`` line and its output."""
    process = await trio.lowlevel.open_process(
        [node_binary(), str(NODE_DIR / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=NODE_DIR,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        with trio.fail_after(30):
            buffer = await _read_until(process.stdout, ready, output, who=script)
        line = next(line for line in buffer.splitlines() if line.startswith(ready))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_drain, process.stdout, output)
            yield line.removeprefix(ready).strip(), output
            nursery.cancel_scope.cancel()
    finally:
        await _end(process, grace=5)
