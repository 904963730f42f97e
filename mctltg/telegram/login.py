"""One login's Telegram side, with one typed method per login step.

The account layer's login machine (``accounts/login.py``) decides *when* each step
runs; this class runs it on the Telethon thread (``on_loop/login.py``) under the call
deadline, so no callable and no Telethon value crosses into ``accounts/``.
"""

from __future__ import annotations

from typing import Final

from mctltg.telegram.connection import TelegramConnection
from mctltg.telegram.on_loop import login as on_loop
from mctltg.telegram.on_loop.login import LoginHandle, LoginProgress

__all__ = ["TelegramLogin"]

_QR: Final = "qr_login"


class TelegramLogin:
    """The steps of one login over its connection; ``handle`` stays with the login between steps."""

    def __init__(self, connection: TelegramConnection, handle: LoginHandle) -> None:
        self._connection = connection
        self._handle = handle

    async def send_code(self, phone: str) -> LoginProgress:
        """Ask Telegram to send a login code to ``phone``'s apps (or by SMS)."""
        handle = self._handle
        return await self._connection.run(
            "send_code", lambda client: on_loop.send_code(client, handle, phone)
        )

    async def sign_in_code(self, code: str) -> LoginProgress:
        handle = self._handle
        return await self._connection.run(
            "sign_in", lambda client: on_loop.sign_in_code(client, handle, code)
        )

    async def sign_in_password(self, password: str) -> LoginProgress:
        """Check the two-step verification password (SRP; the password never leaves in clear)."""
        handle = self._handle
        return await self._connection.run(
            "check_password", lambda client: on_loop.sign_in_password(client, handle, password)
        )

    async def start_qr(self) -> LoginProgress:
        handle = self._handle
        return await self._connection.run(_QR, lambda client: on_loop.start_qr(client, handle))

    async def poll_qr(self, wait_seconds: float, now: float) -> LoginProgress:
        """Wait up to ``wait_seconds`` for the QR code to be scanned (refreshing an expiring token)."""
        handle = self._handle
        return await self._connection.run(
            _QR, lambda client: on_loop.poll_qr(client, handle, wait_seconds, now)
        )
