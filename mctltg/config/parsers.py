"""Parsers: each turns one variable's raw text into a typed value or says what is wrong.

A parser raises ``ValueError`` with a plain reason ("must be ..."); ``load_settings``
prefixes the variable's name (``ConfigError``). The canary reuses them for its own
variables, so a boolean or a ``host:port`` reads the same everywhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

__all__ = [
    "Network",
    "Secret",
    "is_loopback_host",
    "parse_addr",
    "parse_bool",
    "parse_choice",
    "parse_cidr_list",
    "parse_database",
    "parse_dc_id",
    "parse_duration",
    "parse_expiry",
    "parse_host_list",
    "parse_id_list",
    "parse_key",
    "parse_key_file",
    "parse_positive_int",
    "parse_proxy",
    "parse_seconds",
    "parse_secret_text",
    "parse_signing_key",
    "parse_subject_list",
    "parse_text",
    "parse_url",
    "parse_wait_threshold",
    "split_host_port",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_UNITS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret value whose ``repr`` and ``str`` never show it (tracebacks, logs)."""

    value: bytes = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


def split_host_port(addr: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` too); raise ValueError with a plain reason."""
    text = addr.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError("must be host:port, for example 127.0.0.1:8080")
    host = host.removeprefix("[").removesuffix("]")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError("port must be a number, for example 127.0.0.1:8080") from None
    if not 0 <= port <= 65535:
        raise ValueError("port must be between 0 and 65535")
    return host, port


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def parse_key(raw: str) -> Secret:
    text = raw.strip()
    if len(text) != 64:
        raise ValueError(
            f"must be 64 hex characters (32 bytes), got {len(text)} characters; "
            "generate one with `mctltg keygen`"
        )
    try:
        return Secret(bytes.fromhex(text))
    except ValueError:
        raise ValueError("must be 64 hex characters (0-9, a-f); generate one with `mctltg keygen`") from None


def parse_signing_key(raw: str) -> Secret:
    text = raw.strip()
    if len(text.encode()) < 32:
        raise ValueError("must be at least 32 bytes; generate one with `mctltg keygen`")
    return Secret(text.encode())


def parse_addr(raw: str) -> str:
    split_host_port(raw)
    return raw.strip()


def parse_url(raw: str) -> str:
    text = raw.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL such as https://tg.example.com")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    return text


def parse_choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    return parse


def parse_positive_int(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError("must be a whole number") from None
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def parse_seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not value > 0 or value > 3600:
        raise ValueError("must be between 0 and 3600 seconds")
    return value


def parse_text(raw: str) -> str:
    return raw.strip()


def _duration_seconds(text: str) -> float:
    """``90s``, ``15m``, ``1h``, ``30d`` or plain seconds; ValueError (no reason) if neither."""
    unit = _UNITS.get(text[-1:]) if text else None
    return float(text[:-1] if unit is not None else text) * (unit or 1.0)


def parse_duration(*, cap_hours: float) -> Callable[[str], float]:
    """Parse ``90s``, ``15m``, ``1h``, ``720h`` or plain seconds into seconds, at most ``cap_hours``."""

    def parse(raw: str) -> float:
        try:
            value = _duration_seconds(raw.strip().lower())
        except ValueError:
            raise ValueError("must be a duration such as 90s, 15m, 1h or 720h") from None
        if not value > 0:
            raise ValueError("must be a positive duration such as 1h")
        if value > cap_hours * 3600:
            raise ValueError(f"must be at most {cap_hours:g}h")
        return value

    return parse


def parse_expiry(raw: str) -> float | None:
    """``off`` (never), or a duration: ``90d``, ``720h``, ``30m`` or plain seconds."""
    text = raw.strip().lower()
    if text in ("off", "never", "0"):
        return None
    try:
        value = _duration_seconds(text)
    except ValueError:
        raise ValueError("must be a duration such as 30d, 720h or 45m, or off") from None
    if value < 60:
        raise ValueError("must be at least 60 seconds (or off)")
    return value


def parse_id_list(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        text = part.strip()
        if not text:
            continue
        if not text.isdigit():
            raise ValueError(f"must be comma-separated numeric Telegram user ids; {text!r} is not one")
        ids.add(int(text))
    return frozenset(ids)


def parse_host_list(raw: str) -> frozenset[str]:
    hosts: set[str] = set()
    for part in raw.split(","):
        text = part.strip().lower()
        if not text:
            continue
        if "/" in text or ":" in text or "@" in text:
            raise ValueError(f"must be comma-separated host names (no scheme, port or path); got {text!r}")
        hosts.add(text)
    return frozenset(hosts)


def parse_subject_list(raw: str) -> frozenset[str]:
    """Comma-separated ``sub`` values of an OpenID Connect issuer (any shape, at most 255 characters)."""
    subjects: set[str] = set()
    for part in raw.split(","):
        text = part.strip()
        if not text:
            continue
        if len(text) > 255 or not text.isprintable():
            raise ValueError(
                f"must be comma-separated sub values of at most 255 printable characters; got {text[:40]!r}"
            )
        subjects.add(text)
    return frozenset(subjects)


def parse_secret_text(raw: str) -> Secret:
    return Secret(raw.strip().encode())


def parse_wait_threshold(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("must be a number of seconds, e.g. 5") from None
    if not 0 <= value <= 60:
        raise ValueError("must be between 0 and 60 seconds")
    return value


def parse_dc_id(raw: str) -> int:
    value = parse_positive_int(raw)
    if value > 1000:
        raise ValueError("must be a data-center number such as 2")
    return value


def parse_key_file(raw: str) -> Path:
    path = Path(raw.strip()).expanduser()
    if not path.is_file():
        raise ValueError(f"names no readable file ({path})")
    return path


def parse_proxy(raw: str) -> Secret:
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("socks5", "socks4", "http", "mtproxy"):
        raise ValueError(
            "must be socks5://[user:pass@]host:port, http://host:port or mtproxy://<secret>@host:port"
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ValueError("must name the proxy's host and port, e.g. socks5://127.0.0.1:1080")
    if parts.scheme == "mtproxy" and not parts.username:
        raise ValueError("an MTProxy needs its secret: mtproxy://<secret>@host:port")
    return Secret(text.encode())


def parse_cidr_list(raw: str) -> tuple[Network, ...]:
    networks: list[Network] = []
    for part in raw.split(","):
        text = part.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=True))
        except ValueError:
            raise ValueError(
                f"must be comma-separated networks such as 10.0.0.0/8,127.0.0.1/32; {text!r} is not one "
                "(host bits must be zero)"
            ) from None
    return tuple(networks)


def parse_database(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise ValueError("must be a SQLite file path or a file: URL")
    if text.startswith(("postgres:", "postgresql:", "mysql:")):
        raise ValueError("only SQLite is supported: give a file path or a file: URL")
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return text
