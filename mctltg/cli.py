"""The ``mctltg`` command: parse arguments, build ``Settings``, call ``app``.

Nothing here does real work beyond wiring; ``main(argv) -> int`` is testable.
Exit codes: 0 success, 1 runtime failure, 2 bad settings or usage, including a server that
cannot start (its port is taken or needs privileges, its database cannot be written): those
are one sentence on stderr, never a traceback, because the person can fix them.
"""

from __future__ import annotations

import argparse
import errno
import functools
import logging
import secrets
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import trio

from mctltg import __version__
from mctltg.config import SCHEMA, Settings, load_settings, split_host_port
from mctltg.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from mctltg.app import Services
    from mctltg.sandbox import SandboxWorld

__all__ = ["main"]

logger = logging.getLogger("mctltg")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line naming the mistake and where help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port: give a whole number from 1 to 65535, or 0 to pick a free one"
        )
    return port


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="mctltg", description="A remote MCP server for a Telegram user account.")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        help="read settings from this file too (default: .env if present)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run the server with settings from the environment")
    demo = commands.add_parser("demo", help="run a throw-away server over the sandbox Telegram")
    demo.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    demo.add_argument("--port", type=_port, default=8080, help="port to bind (default 8080; 0 picks one)")
    demo.add_argument(
        "--allow-send",
        action="store_true",
        help="open every send gate so send_message really sends (in the sandbox)",
    )
    audit = commands.add_parser("audit", help="work with the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_commands.add_parser("verify", help="check the audit log's hash chains; exit 1 if a row was edited")
    login = commands.add_parser("login", help="connect a Telegram account (phone code + 2FA, or QR code)")
    how = login.add_mutually_exclusive_group(required=True)
    how.add_argument("--phone", metavar="+E164", help="the account's phone number, e.g. +14155550123")
    how.add_argument("--qr", action="store_true", help="show a QR code to scan with a logged-in Telegram app")
    login.add_argument(
        "--identity",
        default="operator",
        metavar="SUBJECT",
        help="whose account this is (default: operator, the identity of AUTH_MODE=local-dev)",
    )
    login.add_argument(
        "--label",
        default="main",
        metavar="LABEL",
        help="a short name for this account (default: main); a new label adds another account, "
        "up to MAX_ACCOUNTS_PER_IDENTITY",
    )
    commands.add_parser("keygen", help="print a fresh ENCRYPTION_KEY and OAUTH_JWT_SIGNING_KEY")
    canary = commands.add_parser(
        "canary", help="probe a running deployment like a client would; exit 0 healthy, 1 failing, 2 usage"
    )
    if "canary" in argv:  # its options only when asked for: serve never loads the probe
        from mctltg.canary import add_arguments as add_canary_arguments

        add_canary_arguments(canary)
    from mctltg.cli_token import add_token_arguments

    add_token_arguments(commands)
    commands.add_parser("version", help="print the version")
    settings = commands.add_parser("settings", help="print every setting (markdown table or .env example)")
    settings.add_argument("--format", choices=("table", "env"), default="table")
    registry = commands.add_parser(
        "registry-json", help="print this deployment's server.json for the MCP Registry"
    )
    registry.add_argument(
        "--public-url", required=True, metavar="URL", help="the PUBLIC_BASE_URL people reach"
    )
    registry.add_argument("--name", help="Registry name (default: the URL's host reversed, /mctltg)")
    registry.add_argument("--output", type=Path, metavar="FILE", help="write it here instead of printing it")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv).parse_args(argv)
    try:
        if args.command == "version":
            print(f"mctltg {__version__}", file=out)
            return 0
        if args.command == "keygen":
            print(f"ENCRYPTION_KEY={secrets.token_hex(32)}", file=out)
            print(f"OAUTH_JWT_SIGNING_KEY={secrets.token_urlsafe(48)}", file=out)
            return 0
        if args.command == "settings":
            print(_settings_table() if args.format == "table" else _env_example(), file=out)
            return 0
        if args.command == "serve":
            return _serve(load_settings(env_file=args.env_file))
        if args.command == "audit":
            return _audit_verify(load_settings(env_file=args.env_file), out=out)
        if args.command == "login":
            from mctltg.cli_login import login_command

            settings = load_settings(env_file=args.env_file)
            return login_command(
                settings, phone=args.phone, qr=args.qr, subject=args.identity, label=args.label, out=out
            )
        if args.command == "canary":
            from mctltg.canary import canary_command

            return canary_command(args, out=out, err=sys.stderr)
        if args.command == "registry-json":
            from mctltg.registry_json import registry_json_command

            return registry_json_command(args.public_url, name=args.name, output=args.output, out=out)
        if args.command == "token":
            from mctltg.cli_token import token_command

            return token_command(load_settings(env_file=args.env_file), args, out=out)
        if args.command == "demo":
            return _demo(args.host, args.port, allow_send=args.allow_send, out=out)
    except ConfigError as exc:
        print(f"mctltg: {exc}", file=sys.stderr)
        return 2
    return 2


def _serve(settings: Settings) -> int:
    from mctltg.observability import configure_logs

    configure_logs(settings.log_level_number, sandbox=settings.telegram_sandbox)
    return _run_server(settings, how_to_move="set ADDR to another host:port")


def _run_server(
    settings: Settings,
    *,
    how_to_move: str,
    world: SandboxWorld | None = None,
    on_ready: Callable[[Services, list[str]], Awaitable[None]] | None = None,
) -> int:
    """Run the server; a failure to start that the person can fix is one sentence and exit 2.

    Only failures before the server listens are translated: once it has served, a failure is
    a bug or an outage, and its traceback is what the operator needs.
    """
    from mctltg import app

    listening = False

    async def ready(services: Services, binds: list[str]) -> None:
        nonlocal listening
        listening = True
        if on_ready is not None:
            await on_ready(services, binds)

    try:
        trio.run(functools.partial(app.run, settings, world=world, on_ready=ready))
    except (OSError, StorageError, BaseExceptionGroup) as exc:
        reason = None if listening else _cannot_start(exc, settings, how_to_move=how_to_move)
        if reason is None:
            raise
        print(f"mctltg: {reason}", file=sys.stderr)
        return 2
    return 0


def _cannot_start(exc: BaseException, settings: Settings, *, how_to_move: str) -> str | None:
    """One sentence for a startup failure the person can fix, or None for anything else."""
    if isinstance(exc, BaseExceptionGroup):
        reasons = [_cannot_start(inner, settings, how_to_move=how_to_move) for inner in exc.exceptions]
        return next((reason for reason in reasons if reason is not None), None)
    if isinstance(exc, StorageError):
        return f"{exc} (check DATABASE_URL: its folder must exist and be writable by this user)"
    if not isinstance(exc, OSError) or exc.filename is not None:
        return None
    where = f"cannot listen on {settings.addr}"
    if exc.errno == errno.EADDRINUSE:
        return f"{where}: another program already uses that port (stop it, or {how_to_move})"
    if exc.errno in (errno.EACCES, errno.EPERM):
        if split_host_port(settings.addr)[1] < 1024:
            return (
                f"{where}: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability "
                f"(listen on a port from 1024 up behind a reverse proxy for 80 or 443)"
            )
        return f"{where}: this user may not listen there ({how_to_move})"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{where}: that address does not belong to this machine ({how_to_move})"
    return None


def _audit_verify(settings: Settings, *, out: TextIO) -> int:
    from mctltg.storage import AuditLog, AuditVerdict, open_database
    from mctltg.storage.audit import audit_key

    url = settings.database_url
    if not url.startswith("file:") and not Path(url).is_file():
        print(f"mctltg: there is no database at {url} (check DATABASE_URL)", file=sys.stderr)
        return 1
    if settings.encryption_key is None:
        print("mctltg: the audit log is keyed by ENCRYPTION_KEY; set it to verify the log", file=sys.stderr)
        return 1
    encryption_key = settings.encryption_key.value
    rotated = settings.encryption_key_previous
    previous = [audit_key(rotated.value)] if rotated is not None else []

    async def verify() -> tuple[AuditVerdict, bool]:
        async with open_database(url) as database:
            return await AuditLog(database, key=audit_key(encryption_key)).verify_with(previous)

    verdict, under_previous = trio.run(verify)
    if verdict.intact:
        keyed = (
            ""
            if verdict.keyed
            else " (unkeyed: written before this version; start the server once to key it)"
        )
        if under_previous:
            keyed = " (under ENCRYPTION_KEY_PREVIOUS: start the server once to re-key it)"
        print(f"audit log intact: {verdict.rows} rows in {verdict.chains} chains{keyed}", file=out)
        return 0
    print(f"audit log BROKEN: {verdict.problem}", file=out)
    return 1


def _demo(host: str, port: int, *, allow_send: bool, out: TextIO) -> int:
    from mctltg import app
    from mctltg.observability import configure_logs
    from mctltg.sandbox import SandboxWorld, seed_demo_world

    with tempfile.TemporaryDirectory(prefix="mctltg-demo-") as folder:
        shown_host = f"[{host}]" if ":" in host else host
        if port == 0:
            # The URLs the server hands out (media links, OAuth metadata) name its port, so
            # "any free port" is decided here rather than left to the bind.
            port = _free_port(host)
        settings = load_settings(
            environ={},
            overrides={
                "ADDR": f"{shown_host}:{port}",
                "AUTH_MODE": "local-dev",
                "AUTH_REQUIRED": "false",
                "TELEGRAM_SANDBOX": "true",
                "ALLOW_SEND": "true" if allow_send else "false",
                "DATABASE_URL": str(Path(folder) / "demo.db"),
                "ENCRYPTION_KEY": secrets.token_hex(32),
                "TG_DEVICE_NAME": "mctltg demo",
                "LOG_LEVEL": "INFO",
            },
        )
        configure_logs(settings.log_level_number, sandbox=True)
        world = SandboxWorld()
        demo = seed_demo_world(world)

        async def on_ready(services: app.Services, binds: list[str]) -> None:
            await app.provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=allow_send)
            url = binds[0].replace("0.0.0.0", "127.0.0.1")
            print(
                f"mctltg demo: SANDBOX Telegram (no real account is used)\n"
                f"  MCP endpoint: {url}/mcp\n"
                f"  try it:       npx @modelcontextprotocol/inspector  (Streamable HTTP, {url}/mcp)\n"
                f"  stop:         Ctrl+C",
                file=out,
                flush=True,
            )

        return _run_server(
            settings, how_to_move="choose another port with --port", world=world, on_ready=on_ready
        )


def _free_port(host: str) -> int:
    """A port free on ``host`` now (the kernel's pick); a race for it fails the bind, which is reported."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _settings_table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for setting in SCHEMA:
        default = f"`{setting.default}`" if setting.default else ""
        rows.append(f"| `{setting.env}` | {default} | {setting.help} |")
    return "\n".join(rows)


def _env_example() -> str:
    lines = [
        "# mctltg settings: every variable, its default, one line each.",
        "# Generate keys with `mctltg keygen`.",
        "",
    ]
    for setting in SCHEMA:
        lines.append(f"# {setting.help}")
        value = "" if setting.default is None else setting.default
        lines.append(
            f"{setting.env}={value}"
            if setting.default is not None or not setting.secret
            else f"{setting.env}="
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
