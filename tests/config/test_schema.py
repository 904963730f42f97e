"""The settings table is the only home of every default, and it agrees with ``Settings``."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from mctltg.config import SCHEMA, Settings, load_settings

#: The least an empty environment needs to pass the boot guard.
REQUIRED = {
    "ENCRYPTION_KEY": "ab" * 32,
    "TELEGRAM_SANDBOX": "true",
    "AUTH_MODE": "local-dev",
    "AUTH_REQUIRED": "false",
}
#: Defaults derived from other settings when unset (``load_settings`` says how).
DERIVED = {"public_base_url", "device_name"}


def test_every_setting_has_one_row_and_every_row_one_field() -> None:
    fields = [field.name for field in dataclasses.fields(Settings)]
    rows = [setting.attr for setting in SCHEMA]
    assert sorted(fields) == sorted(rows)
    assert len(set(rows)) == len(rows)
    assert len({setting.env for setting in SCHEMA}) == len(SCHEMA)


def test_settings_declares_no_default_of_its_own() -> None:
    with_defaults = [
        field.name
        for field in dataclasses.fields(Settings)
        if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    ]
    assert with_defaults == []


def test_an_empty_environment_gets_the_table_default_of_every_setting() -> None:
    settings = load_settings(environ={}, overrides=REQUIRED)
    for setting in SCHEMA:
        if setting.env in REQUIRED or setting.attr in DERIVED:
            continue
        expected = None if setting.default is None else setting.parse(setting.default)
        assert getattr(settings, setting.attr) == expected, setting.env


def test_the_written_defaults_read_as_their_values() -> None:
    settings = load_settings(environ={}, overrides=REQUIRED)
    assert settings.addr == "127.0.0.1:8080"
    assert settings.public_base_url == "http://127.0.0.1:8080"
    assert settings.access_token_ttl == 3600
    assert settings.refresh_token_ttl == 720 * 3600
    assert settings.session_idle_expiry == 30 * 86400
    assert settings.login_admins == frozenset()
    assert settings.metrics_allow_cidr == ()
    assert settings.device_name.startswith("mctltg on ")


def test_an_unset_optional_setting_given_empty_stays_unset() -> None:
    settings = load_settings(environ={"TG_API_ID": " ", "TG_LOGIN_ADMINS": ""}, overrides=REQUIRED)
    assert settings.tg_api_id is None
    assert settings.login_admins == frozenset()


def test_the_readme_settings_table_and_env_example_are_what_mctltg_settings_prints() -> None:
    root = Path(__file__).resolve().parents[2]
    table = subprocess.run(
        [sys.executable, "-m", "mctltg", "settings", "--format", "table"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = subprocess.run(
        [sys.executable, "-m", "mctltg", "settings", "--format", "env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert table in (root / "README.md").read_text(encoding="utf-8"), "run: mctltg settings --format table"
    assert (root / ".env.example").read_text(encoding="utf-8") == env, "run: mctltg settings --format env"
