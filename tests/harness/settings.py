"""Settings for a server under test: loopback, sandbox Telegram, a database in the test's folder.

Every server a test starts (in process, in a thread, or behind the OAuth harness)
begins from :func:`sandbox_settings`; what a test changes it passes as overrides, so
the defaults a test relies on live here once.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final

from mctltg.config import Settings, load_settings

__all__ = ["OAUTH_MODE", "sandbox_settings"]

#: Overrides for a server that is its own OAuth issuer (the OIDC issuer is never contacted).
OAUTH_MODE: Final = {
    "AUTH_MODE": "local-jwt",
    "AUTH_REQUIRED": "true",
    "OAUTH_JWT_SIGNING_KEY": "k" * 40,
    "TELEGRAM_OIDC_ISSUER": "http://127.0.0.1:9",
    "TELEGRAM_OIDC_CLIENT_ID": "x",
    "TELEGRAM_OIDC_CLIENT_SECRET": "y",
    # The loopback OIDC provider stands in for Telegram's: its id_tokens carry Telegram user ids.
    "OIDC_IDENTITY": "telegram",
}


def sandbox_settings(tmp_path: Path, **overrides: str) -> Settings:
    """Loopback, operator-mode settings over the sandbox and a database in ``tmp_path``."""
    values = {
        "ADDR": "127.0.0.1:0",
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
        "DATABASE_URL": str(tmp_path / "test.db"),
        "ENCRYPTION_KEY": secrets.token_hex(32),
        "TG_CALL_TIMEOUT": "2",
        "TG_CONNECT_TIMEOUT": "2",
        "TG_DEVICE_NAME": "mctltg tests",
    }
    values.update(overrides)
    return load_settings(environ={}, overrides=values)
