"""``deploy/mctltg.service``: the systemd unit keeps its hardening and starts a command that exists."""

from __future__ import annotations

import shlex
from pathlib import Path

from mctltg.config import SCHEMA

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "mctltg.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_as_a_dynamic_user_on_a_read_only_system_with_its_own_state_directory() -> None:
    unit = directives()
    for key, value in {
        "DynamicUser": "yes",
        "StateDirectory": "mctltg",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "EnvironmentFile": "/etc/mctltg/mctltg.env",
        "KillSignal": "SIGTERM",
        "Restart": "on-failure",
        "RestartPreventExitStatus": "2",
    }.items():
        assert unit.get(key) == [value], key


def test_the_unit_starts_mctltg_serve_and_sets_only_settings_that_exist() -> None:
    unit = directives()
    command = shlex.split(unit["ExecStart"][0])
    assert command[0] == "/usr/local/bin/mctltg"
    assert command[-1] == "serve"
    known = {setting.env for setting in SCHEMA} | {"TMPDIR"}
    for assignment in unit["Environment"]:
        name, _, value = assignment.partition("=")
        assert name in known, name
        if name == "DATABASE_URL":
            assert value.startswith("/var/lib/mctltg/")  # inside StateDirectory, the one writable place
