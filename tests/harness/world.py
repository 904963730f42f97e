"""Reading the sandbox Telegram as the test's eyes: what it delivered, the codes it sent.

The sandbox world is the far side of every test; these helpers ask it what a real
person's phone would show (a login code, a message in a chat) and decode what the
server shows back (the QR login link), so tests never reach into the server for it.
"""

from __future__ import annotations

import base64
from typing import Final

from mctltg.accounts import LoginView
from mctltg.app import Services
from mctltg.sandbox import SandboxWorld

__all__ = [
    "CATCH_UP",
    "SEND_REQUEST",
    "code_for",
    "identity_id",
    "qr_token",
    "texts_in",
    "without_catch_up",
    "wrong_code",
]

#: The TL request a text send reaches the world as (see ``SandboxWorld.calls_since``).
SEND_REQUEST: Final = "messages.SendMessageRequest"


def texts_in(world: SandboxWorld, *, viewer: int, peer: str, text: str) -> int:
    """How many messages in the chat (as ``viewer`` sees it) carry exactly ``text``."""
    return sum(1 for message in world.history(viewer=viewer, peer=peer) if message.text == text)


async def identity_id(services: Services, subject: str = "operator") -> int:
    """The id of the identity ``subject`` (created if it is new)."""
    return (await services.identities.ensure(subject)).id


def qr_token(view: LoginView) -> bytes:
    """The raw login token inside the view's ``tg://login?token=…`` link."""
    assert view.qr_url is not None
    text = view.qr_url.removeprefix("tg://login?token=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def code_for(world: SandboxWorld, phone: str) -> str:
    """The login code the world last sent to ``phone``."""
    code = world.last_login_code(phone)
    assert code is not None, "the world sent no code"
    return code


def wrong_code(world: SandboxWorld, phone: str) -> str:
    """A code that is surely not the one the world sent to ``phone``."""
    return "11111" if code_for(world, phone) != "11111" else "22222"


#: What a freshly connected account asks Telegram on its own, whatever a tool does: its
#: update state and the catch-up after it (they may land just after the connect returns).
CATCH_UP: Final = frozenset({"updates.GetStateRequest", "updates.GetDifferenceRequest"})


def without_catch_up(calls: list[str]) -> list[str]:
    """``calls`` less a new connection's own update catch-up (``CATCH_UP``)."""
    return [call for call in calls if call not in CATCH_UP]
