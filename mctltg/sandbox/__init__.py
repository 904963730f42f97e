"""The sandbox Telegram: an in-process Telegram world that real Telethon talks to.

It serves ``mctltg demo`` and every test. A ``SandboxWorld`` holds users, chats, channels,
messages, read marks, logins and scripted faults; ``SandboxWorld.attach(client)`` swaps a
Telethon client's MTProto sender for one that answers from the world, so everything above
the sender (entity cache, updates, sessions, errors) runs unchanged. See
``shared/design/sandbox-seam.md`` for the seam and its measured pitfalls.
"""

from __future__ import annotations

from mctltg.sandbox.compat import check_telethon_seam
from mctltg.sandbox.faults import Fault
from mctltg.sandbox.render import SANDBOX_DC_ID
from mctltg.sandbox.seed import DemoWorld, seed_demo_world
from mctltg.sandbox.sender import SandboxSender
from mctltg.sandbox.switchboard import NOT_IMPLEMENTED
from mctltg.sandbox.testing import sandbox_session_string
from mctltg.sandbox.values import SandboxAuthorization, SandboxMedia, SandboxMessage
from mctltg.sandbox.world import SandboxWorld

__all__ = [
    "NOT_IMPLEMENTED",
    "SANDBOX_DC_ID",
    "DemoWorld",
    "Fault",
    "SandboxAuthorization",
    "SandboxMedia",
    "SandboxMessage",
    "SandboxSender",
    "SandboxWorld",
    "sandbox_session_string",
    "seed_demo_world",
]

check_telethon_seam()
