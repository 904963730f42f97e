"""Serving the demo world's 5 MB photo as an image block, against Pillow alone on the same bytes.

``get_media`` runs in process (the MCP SDK's in-memory client, Telethon, the sandbox) and
downloads the photo's largest size in 512 KB parts; the baseline, measured in the same run
on the same machine, is only the decode-and-re-encode Pillow has to do anyway
(``fit_image`` on the same source bytes). The ratio is what the server adds on top:
the download through Telegram's protocol, base64, JSON and the MCP result.
"""

from __future__ import annotations

import base64
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import trio
from mcp import Client

from benchmarks.sandbox_bench import _settings
from mctltg.app import open_services, provision_sandbox_account, tool_deps
from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.tools import build_mcp_server
from mctltg.tools.images import fit_image
from mctltg.tools.media_budget import MAX_PIXELS, default_budget

__all__ = ["PhotoImage", "measure_photo_image"]


@dataclass(frozen=True, slots=True)
class PhotoImage:
    source_bytes: int  # the stored size get_media downloaded
    image_bytes: int  # the JPEG in the image block
    result_bytes: int  # the whole result on the wire
    served_ms: float  # median get_media call
    pillow_ms: float  # median fit_image on the same source bytes

    @property
    def ratio(self) -> float:
        return self.served_ms / self.pillow_ms


async def measure_photo_image(runs: int = 5) -> PhotoImage:
    """Median time and bytes to serve the 5 MB photo, and Pillow's own time for it."""
    world = SandboxWorld()
    demo = seed_demo_world(world)
    peer = f"channel:{demo.media_channel}"
    photo = world.media(viewer=demo.me, peer=peer, message_id=demo.big_photo_message_id)
    if photo is None or not photo.sizes:
        raise RuntimeError("the demo world has no big photo")
    source = photo.sizes[-1].blob.read(0, photo.sizes[-1].blob.size)
    budget = default_budget()
    pillow: list[float] = []
    served: list[float] = []
    arguments = {"peer": peer, "message_id": demo.big_photo_message_id}
    with tempfile.TemporaryDirectory(prefix="mctltg-bench-") as folder:
        async with open_services(_settings(Path(folder)), world=world) as services:
            await provision_sandbox_account(services, telegram_user_id=demo.me)
            async with Client(build_mcp_server(tool_deps(services))) as client:
                await client.call_tool("list_dialogs", {"folder": "archived"})  # the channel's entity
                for _ in range(runs):  # interleaved, so the shared machine's load hits both alike
                    started = time.perf_counter()
                    fit_image(
                        source,
                        max_side=budget.image_side,
                        max_pixels=MAX_PIXELS,
                        max_bytes=budget.image_max_bytes,
                    )
                    pillow.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    with trio.fail_after(60):
                        result = await client.call_tool("get_media", arguments)
                    served.append(time.perf_counter() - started)
    if result.is_error or len(result.content) < 2 or result.content[1].type != "image":
        raise RuntimeError(f"get_media failed: {result.structured_content}")
    wire = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return PhotoImage(
        source_bytes=len(source),
        image_bytes=len(base64.b64decode(result.content[1].data)),
        result_bytes=len(json.dumps(wire, separators=(",", ":")).encode()),
        served_ms=statistics.median(served) * 1000,
        pillow_ms=statistics.median(pillow) * 1000,
    )
