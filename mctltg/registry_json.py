"""``server.json`` for the MCP Registry: the package's (the repository's own file) and a deployment's.

The MCP Registry (registry.modelcontextprotocol.io) lists servers from a ``server.json``
in its published schema (:data:`SCHEMA_URL`, the 2025-12-11 release). Two are made here:

* :func:`package_server_json` describes the ``mctltg`` package on PyPI, run locally with
  ``mctltg serve`` (Streamable HTTP on the default ``ADDR``); the repository's root
  ``server.json`` is exactly this (a test keeps the two equal);
* :func:`deployment_server_json` describes one operator's running server as a
  ``streamable-http`` remote at ``<public URL>/mcp``, with its icons; ``mctltg
  registry-json --public-url URL`` prints or writes it. Its name defaults to the
  reverse-DNS of the URL's host (``https://tg.example.com`` → ``com.example.tg/mctltg``),
  the namespace the Registry lets that domain's owner publish under.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import urlsplit

from mctltg import __version__
from mctltg.errors import ConfigError
from mctltg.tools.server_card import DESCRIPTION, TITLE, icons

__all__ = [
    "PACKAGE_NAME",
    "SCHEMA_URL",
    "default_name",
    "deployment_server_json",
    "package_server_json",
    "registry_json_command",
]

SCHEMA_URL: Final = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
#: The package's Registry name; PyPI ownership is proven by ``mcp-name: <this>`` in the README.
PACKAGE_NAME: Final = "io.github.mctltg/mctltg"
_SERVER: Final = "mctltg"
_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


def package_server_json() -> dict[str, Any]:
    """The ``mctltg`` PyPI package as the Registry lists it (the repository's ``server.json``)."""
    return {
        "$schema": SCHEMA_URL,
        "name": PACKAGE_NAME,
        "title": TITLE,
        "description": DESCRIPTION,
        "version": __version__,
        "packages": [
            {
                "registryType": "pypi",
                "identifier": "mctltg",
                "version": __version__,
                "runtimeHint": "uvx",
                "packageArguments": [{"type": "positional", "value": "serve"}],
                "transport": {"type": "streamable-http", "url": "http://127.0.0.1:8080/mcp"},
                "environmentVariables": [
                    {
                        "name": "ENCRYPTION_KEY",
                        "description": "64 hex characters sealing sessions; `mctltg keygen` prints one",
                        "isRequired": True,
                        "isSecret": True,
                    },
                    {
                        "name": "TG_API_ID",
                        "description": "Telegram API id from my.telegram.org",
                        "isRequired": True,
                    },
                    {
                        "name": "TG_API_HASH",
                        "description": "Telegram API hash from my.telegram.org",
                        "isRequired": True,
                        "isSecret": True,
                    },
                ],
            }
        ],
    }


def default_name(public_url: str) -> str:
    """``<reversed host>/mctltg`` for a deployment at ``public_url``.

    Raises:
        ConfigError: the host is an IP address or a single label (no domain to publish under).
    """
    host = urlsplit(public_url).hostname or ""
    try:
        ipaddress.ip_address(host)
        is_address = True
    except ValueError:
        is_address = False
    if is_address or "." not in host:
        raise ConfigError(
            "--public-url",
            f"{host or public_url!r} is not a domain name, so it names no Registry namespace; pass --name",
        )
    return ".".join(reversed(host.split("."))) + "/" + _SERVER


def deployment_server_json(public_url: str, *, name: str | None = None) -> dict[str, Any]:
    """A running deployment at ``public_url`` as a ``streamable-http`` remote.

    Raises:
        ConfigError: the URL is not an absolute ``https`` URL, or ``name`` is not
            ``namespace/server`` in the Registry's characters.
    """
    base = _public_base(public_url)
    chosen = name if name is not None else default_name(base)
    namespace, _, server = chosen.partition("/")
    if not namespace or not server or "/" in server or not set(namespace) <= _NAME_CHARS:
        raise ConfigError("--name", f"{chosen!r} must be namespace/server, such as com.example/mctltg")
    if not set(server) <= _NAME_CHARS | {"_"}:
        raise ConfigError(
            "--name", f"{chosen!r} may use only letters, digits, '.', '-' and '_' after the '/'"
        )
    return {
        "$schema": SCHEMA_URL,
        "name": chosen,
        "title": TITLE,
        "description": DESCRIPTION,
        "version": __version__,
        "websiteUrl": base,
        "icons": [icon.model_dump(mode="json", by_alias=True, exclude_none=True) for icon in icons(base)],
        "remotes": [{"type": "streamable-http", "url": f"{base}/mcp"}],
    }


def _public_base(public_url: str) -> str:
    parts = urlsplit(public_url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            "--public-url",
            f"{public_url!r} must be this server's https URL without a query, as in PUBLIC_BASE_URL "
            "(e.g. https://tg.example.com)",
        )
    return public_url.strip().rstrip("/")


def registry_json_command(public_url: str, *, name: str | None, output: Path | None, out: TextIO) -> int:
    """``mctltg registry-json``: print the deployment's ``server.json``, or write it to ``output``.

    Raises:
        ConfigError: a bad ``--public-url`` or ``--name`` (the CLI prints it, exit 2).
    """
    text = json.dumps(deployment_server_json(public_url, name=name), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        out.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError("--output", f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {output}", file=out)
    return 0
