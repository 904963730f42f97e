"""Helpers for login tests: identities, QR tokens from links, codes that are surely wrong."""

from __future__ import annotations

import base64

from mctltg.accounts import LoginView
from mctltg.app import Services
from mctltg.sandbox import SandboxWorld


async def identity_id(services: Services, subject: str = "operator") -> int:
    return (await services.identities.ensure(subject)).id


def qr_token(view: LoginView) -> bytes:
    """The raw login token inside the view's ``tg://login?token=…`` link."""
    assert view.qr_url is not None
    text = view.qr_url.removeprefix("tg://login?token=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def code_for(world: SandboxWorld, phone: str) -> str:
    code = world.last_login_code(phone)
    assert code is not None, "the world sent no code"
    return code


def wrong_code(world: SandboxWorld, phone: str) -> str:
    return "11111" if code_for(world, phone) != "11111" else "22222"
