"""Pure redaction: what must never reach a log line.

Two layers, because one is not enough: fields whose *name* says they are secret
(``text``, ``phone``, ``code``, ``password``, ``token``, …) are replaced whole, and
every finished line is scrubbed of phone-like digit runs and bearer tokens as a
last line of defence against a value that slipped into a message.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["SECRET_FIELDS", "is_secret_field", "scrub"]

SECRET_FIELDS: Final = frozenset(
    {
        "text",
        "message_text",
        "body",
        "phone",
        "phone_number",
        "code",
        "phone_code",
        "login_code",
        "password",
        "passwd",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "authorization",
        "session",
        "session_blob",
        "auth_key",
        "key",
        "secret",
        "api_hash",
        "client_secret",
        "cookie",
    }
)

_PHONE: Final = re.compile(r"(?<![\w.])\+?\d[\d \-()]{6,}\d(?![\w.])")
_BEARER: Final = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_JWT: Final = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_FIELDS or lowered.endswith(("_token", "_password", "_secret", "_key"))


#: What any of the three needs somewhere in the line: most lines have none; one search beats three.
_SUSPECT: Final = re.compile(r"\d[\d \-()]{6,}\d|(?i:bearer)|eyJ")


def scrub(line: str) -> str:
    """Mask phone-like digit runs (7+ digits), bearer credentials and JWTs in a finished line."""
    if _SUSPECT.search(line) is None:
        return line
    line = _BEARER.sub(r"\1[redacted]", line)
    line = _JWT.sub("[redacted-jwt]", line)
    return _PHONE.sub(_mask_phone, line)


def _mask_phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[redacted-phone]" if digits >= 7 else match.group(0)
