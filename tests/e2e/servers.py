"""Start real ``mctltg`` processes for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio


@dataclass(frozen=True, slots=True)
class RunningServer:
    url: str
    process: trio.Process
    output: list[str]


async def _read_until(stream: trio.abc.ReceiveStream, marker: str, output: list[str]) -> str:
    buffer = ""
    while marker not in buffer:
        chunk = await stream.receive_some(65536)
        if not chunk:
            raise AssertionError(f"the server exited before printing {marker!r}: {''.join(output)}")
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
        # SIGTERM first: the onefile executable's bootloader forwards it to the Python process
        # it unpacked and started, whereas SIGKILL would orphan that process.
        if process.returncode is None:
            process.terminate()
        with trio.move_on_after(10):
            await process.wait()
        if process.returncode is None:
            process.kill()
            with trio.move_on_after(5):
                await process.wait()


async def _drain(stream: trio.abc.ReceiveStream, output: list[str]) -> None:
    while chunk := await stream.receive_some(65536):
        output.append(chunk.decode(errors="replace"))
