"""A 50 MB document through a media link: how much the server's memory grows while it streams.

``get_media`` answers the sandbox's 50 MiB ``lecture-film.mkv`` with a link; the link is
read to the end while the server's resident memory is sampled after every piece. A
server that buffered the file would grow by its size; one that streams grows by a few
pieces. The figure is the growth as a share of the file, measured against the same
process's memory just before (after a warm-up read loaded every code path).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ResourceLink

from benchmarks.processes import rss_bytes
from mctltg.sandbox import SandboxWorld, seed_demo_world

__all__ = ["StreamFigures", "stream_huge_document"]

_WARM_UP = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StreamFigures:
    size: int
    seconds: float
    rss_before: int
    rss_peak: int

    @property
    def growth(self) -> int:
        return self.rss_peak - self.rss_before


async def stream_huge_document(mcp_url: str, pid: int) -> StreamFigures:
    """Ask ``get_media`` (at ``mcp_url``) for the seeded 50 MiB document and read its link to the end."""
    demo = seed_demo_world(SandboxWorld())  # the demo server seeds the same ids
    arguments = {"peer": f"channel:{demo.archived}", "message_id": demo.huge_document_message_id}
    with trio.fail_after(300):
        async with (
            httpx2.AsyncClient() as mcp_http,
            Client(streamable_http_client(mcp_url, http_client=mcp_http)) as client,
            httpx.AsyncClient(timeout=60) as http,
        ):
            result = await client.call_tool("get_media", arguments)
            link = next(block for block in result.content if isinstance(block, ResourceLink))
            warm = await http.get(str(link.uri), headers={"Range": f"bytes=0-{_WARM_UP - 1}"})
            assert len(warm.content) == _WARM_UP
            before = peak = rss_bytes(pid)
            size = 0
            started = time.perf_counter()
            async with http.stream("GET", str(link.uri)) as response:
                async for piece in response.aiter_bytes():
                    size += len(piece)
                    peak = max(peak, rss_bytes(pid))
            seconds = time.perf_counter() - started
    return StreamFigures(size=size, seconds=seconds, rss_before=before, rss_peak=peak)
