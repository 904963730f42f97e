"""The ``mctltg`` command's answer to a server that cannot start: one sentence, exit 2.

Each case runs the real command in its own process, as a person would. Where the
machine would let the test pass by privilege (root may bind port 80 and write anywhere),
the command runs with every capability dropped (``setpriv``), which is what a normal user has.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

import pytest
import trio

from mctltg import cli

_START_LIMIT = 120  # seconds: a loaded 2-core machine takes a few to import and start


def _unprivileged(command: list[str]) -> list[str]:
    """``command`` as it runs for a user without root's privileges."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux) to drop root's privileges")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all", *command]


async def _mctltg(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``command`` in ``cwd`` (so no ``.env`` of the checkout applies)."""
    with trio.fail_after(_START_LIMIT):
        done = await trio.run_process(
            command,
            cwd=cwd,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env=None if env is None else {**os.environ, **env},
        )
    return done.returncode, done.stderr.decode()


def _last_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()[-1]


MCTLTG = [sys.executable, "-m", "mctltg"]


@pytest.mark.slow
async def test_a_busy_port_is_one_sentence_naming_the_port_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = await _mctltg([*MCTLTG, "demo", "--port", str(port)], tmp_path)
    assert code == 2
    assert _last_line(stderr) == (
        f"mctltg: cannot listen on 127.0.0.1:{port}: another program already uses that port "
        "(stop it, or choose another port with --port)"
    )


@pytest.mark.slow
async def test_a_port_below_1024_without_privilege_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 80:
        pytest.skip("this machine lets every user listen on port 80")
    code, stderr = await _mctltg(_unprivileged([*MCTLTG, "demo", "--port", "80"]), tmp_path)
    assert code == 2
    assert _last_line(stderr).startswith(
        "mctltg: cannot listen on 127.0.0.1:80: ports below 1024 need root or the "
        "CAP_NET_BIND_SERVICE capability"
    )


@pytest.mark.slow
async def test_an_unwritable_database_folder_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    locked = tmp_path / "read-only"
    locked.mkdir(mode=0o555)
    env = {
        "ADDR": "127.0.0.1:0",
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
        "ENCRYPTION_KEY": secrets.token_hex(32),
        "DATABASE_URL": str(locked / "mctltg.db"),
    }
    code, stderr = await _mctltg(_unprivileged([*MCTLTG, "serve"]), tmp_path, env)
    assert code == 2
    assert _last_line(stderr) == (
        f"mctltg: cannot create the database file {locked / 'mctltg.db'}: Permission denied "
        "(check DATABASE_URL: its folder must exist and be writable by this user)"
    )
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_a_bad_port_is_one_sentence_and_exit_2(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["demo", "--port", port])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"mctltg demo: argument --port: {port!r} is not a port: give a whole number from 1 to 65535, "
        "or 0 to pick a free one (see mctltg demo --help)\n"
    )
