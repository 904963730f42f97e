"""What ``tools/list`` costs a client: bytes in total, per tool, and the part a model reads.

A client puts every tool definition in front of the model on every turn, so its size is
a running cost. The part a model reads is ``name``, ``description`` and ``inputSchema``;
``title``, ``annotations``, ``outputSchema`` and ``_meta`` are read by the client (some
clients show the output schema to the model as well, which is why the total has a goal
of its own). Sizes are compact UTF-8 JSON, as the server sends them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from benchmarks.wire import WireSession, open_http

__all__ = ["ToolBytes", "tool_definitions"]

MODEL_PART = ("name", "description", "inputSchema")


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


@dataclass(frozen=True, slots=True)
class ToolBytes:
    """Per tool: (name, bytes of its whole definition, bytes of the part a model reads)."""

    tools: tuple[tuple[str, int, int], ...]
    listing: int

    @property
    def average_total(self) -> float:
        return sum(total for _, total, _ in self.tools) / len(self.tools)

    @property
    def average_model(self) -> float:
        return sum(model for _, _, model in self.tools) / len(self.tools)


async def tool_definitions(url: str) -> ToolBytes:
    """The sizes of the server's ``tools/list`` result."""
    async with open_http(1) as http:
        session = await WireSession(http, url).open()
        listed = await session.request("tools/list", {})
        await session.close()
    tools = tuple(
        (tool["name"], _size(tool), _size({key: tool[key] for key in MODEL_PART if key in tool}))
        for tool in listed["tools"]
    )
    return ToolBytes(tools=tools, listing=_size(listed))
