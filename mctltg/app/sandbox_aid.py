"""The sandbox world as the wizard's :class:`~mctltg.web.sandbox_aid.SandboxAid`.

Only the composition root knows both the web layer and the sandbox; it builds this
adapter when, and only when, the server runs over the sandbox (``build_asgi_app``).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Final

from mctltg.web.sandbox_aid import SandboxPerson

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

__all__ = ["WorldAid"]

QR_PREFIX: Final = "tg://login?token="


class WorldAid:
    """Reads login codes from, and approves QR logins in, one sandbox world."""

    def __init__(self, world: SandboxWorld) -> None:
        self._world = world

    def __repr__(self) -> str:
        return "<WorldAid>"

    def people(self) -> tuple[SandboxPerson, ...]:
        return tuple(
            SandboxPerson(user_id=user.user_id, name=user.name, phone=user.phone, two_step=user.two_step)
            for user in self._world.people_with_phones()
        )

    def login_code(self, phone: str) -> str | None:
        return self._world.last_login_code(phone)

    def approve_qr(self, qr_url: str, *, user_id: int) -> None:
        if not qr_url.startswith(QR_PREFIX):
            raise ValueError("not a Telegram login link")
        text = qr_url.removeprefix(QR_PREFIX)
        try:
            token = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise ValueError("the login link carries no readable token") from None
        self._world.accept_qr_login(token, user_id=user_id)
