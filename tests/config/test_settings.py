"""Loading settings: sources in order, the boot guard, one clear line with exit code 2 for bad values,
and the OAuth settings (bounds, the deprecated key name, what local-jwt mode requires)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mctltg.config import load_settings, read_env_file
from mctltg.errors import ConfigError

KEY = "ab" * 32
BASE = {"ENCRYPTION_KEY": KEY, "TELEGRAM_SANDBOX": "true", "AUTH_MODE": "local-dev", "AUTH_REQUIRED": "false"}


def test_defaults_fill_in_a_loopback_dev_server() -> None:
    settings = load_settings(BASE)
    assert settings.addr == "127.0.0.1:8080"
    assert settings.public_base_url == "http://127.0.0.1:8080"
    assert settings.mcp_url == "http://127.0.0.1:8080/mcp"
    assert settings.operator_mode
    assert not settings.allow_send


def test_the_encryption_key_never_shows_in_repr() -> None:
    settings = load_settings(BASE)
    assert KEY not in repr(settings)
    assert bytes.fromhex(KEY).hex() not in str(settings)


def test_environment_overrides_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nLOG_LEVEL=debug\nALLOW_SEND='true'\n", encoding="utf-8")
    settings = load_settings({**BASE, "LOG_LEVEL": "warning"}, env_file=env_file)
    assert settings.log_level == "WARNING"
    assert settings.allow_send


def test_a_malformed_env_file_line_names_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GOOD=1\nthis is not a setting\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        read_env_file(env_file)


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"ENCRYPTION_KEY": "abcd"}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_KEY": "zz" * 32}, "ENCRYPTION_KEY"),
        ({"AUTH_MODE": "magic"}, "AUTH_MODE"),
        ({"ADDR": "0.0.0.0:8080"}, "AUTH_MODE"),
        ({"ADDR": "nonsense"}, "ADDR"),
        ({"ALLOW_SEND": "maybe"}, "ALLOW_SEND"),
        ({"PUBLIC_BASE_URL": "ftp://x"}, "PUBLIC_BASE_URL"),
        ({"TG_CALL_TIMEOUT": "-1"}, "TG_CALL_TIMEOUT"),
        ({"TELEGRAM_SANDBOX": "false"}, "TG_API_ID"),
        ({"AUTH_MODE": "local-jwt", "AUTH_REQUIRED": "true"}, "OAUTH_JWT_SIGNING_KEY"),
        (
            {"AUTH_MODE": "local-jwt", "AUTH_REQUIRED": "true", "OAUTH_JWT_SIGNING_KEY": "short"},
            "OAUTH_JWT_SIGNING_KEY",
        ),
        ({"DATABASE_URL": "postgres://db/x"}, "DATABASE_URL"),
    ],
)
def test_a_bad_setting_names_its_variable(changes: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, **changes})
    assert caught.value.variable == variable


def test_auth_required_false_is_refused_off_loopback() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {**BASE, "AUTH_MODE": "local-jwt", "ADDR": "192.0.2.10:8080", "OAUTH_JWT_SIGNING_KEY": "k" * 40}
        )
    assert caught.value.variable == "AUTH_REQUIRED"


def test_localhost_and_ipv6_loopback_pass_the_boot_guard() -> None:
    assert load_settings({**BASE, "ADDR": "localhost:9000"}).port == 9000
    assert load_settings({**BASE, "ADDR": "[::1]:9000"}).host == "::1"


def _run_cli(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return subprocess.run(
        [sys.executable, "-m", "mctltg", "serve"],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({**BASE, "ENCRYPTION_KEY": "abc123"}, "ENCRYPTION_KEY: must be 64 hex characters"),
        (
            {**BASE, "ADDR": "0.0.0.0:8080"},
            "AUTH_MODE: running without OAuth is allowed only on a loopback ADDR",
        ),
        ({**BASE, "AUTH_MODE": "magic"}, "AUTH_MODE: must be one of local-jwt, local-dev"),
    ],
)
def test_serve_with_bad_settings_exits_2_with_one_clear_line(
    env: dict[str, str], fragment: str, tmp_path: Path
) -> None:
    result = _run_cli(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mctltg: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


OAUTH_BASE = {
    "ENCRYPTION_KEY": "ab" * 32,
    "TELEGRAM_SANDBOX": "true",
    "AUTH_MODE": "local-jwt",
    "OAUTH_JWT_SIGNING_KEY": "k" * 40,
    "TELEGRAM_OIDC_CLIENT_ID": "bot",
    "TELEGRAM_OIDC_CLIENT_SECRET": "secret",
}


def test_defaults_are_an_hour_and_thirty_days_at_telegrams_issuer() -> None:
    settings = load_settings(OAUTH_BASE)
    assert settings.access_token_ttl == 3600
    assert settings.refresh_token_ttl == 720 * 3600
    assert settings.oidc_issuer == "https://oauth.telegram.org"
    assert settings.login_admins == frozenset()


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"OAUTH_ACCESS_TOKEN_TTL": "25h"}, "OAUTH_ACCESS_TOKEN_TTL"),
        ({"OAUTH_ACCESS_TOKEN_TTL": "soon"}, "OAUTH_ACCESS_TOKEN_TTL"),
        ({"TG_LOGIN_ADMINS": "12,abc"}, "TG_LOGIN_ADMINS"),
        ({"OAUTH_ALLOWED_REDIRECT_HOSTS": "https://claude.ai"}, "OAUTH_ALLOWED_REDIRECT_HOSTS"),
        ({"TELEGRAM_OIDC_CLIENT_ID": ""}, "TELEGRAM_OIDC_CLIENT_ID"),
        ({"OAUTH_JWT_SIGNING_KEY": "x" * 31}, "OAUTH_JWT_SIGNING_KEY"),
        ({"AUTH_MODE": "oidc-proxy"}, "AUTH_MODE"),
    ],
)
def test_a_bad_oauth_setting_names_its_variable(changes: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**OAUTH_BASE, **changes})
    assert caught.value.variable == variable


def test_lists_and_durations_parse(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(
        {
            **OAUTH_BASE,
            "TG_LOGIN_ADMINS": "1, 2",
            "OAUTH_ACCESS_TOKEN_TTL": "15m",
            "OAUTH_ALLOWED_REDIRECT_HOSTS": "Claude.ai,chatgpt.com",
        }
    )
    assert settings.login_admins == {1, 2}
    assert settings.access_token_ttl == 900
    assert settings.allowed_redirect_hosts == {"claude.ai", "chatgpt.com"}


def test_the_deprecated_jwt_secret_name_still_works_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    environ = {k: v for k, v in OAUTH_BASE.items() if k != "OAUTH_JWT_SIGNING_KEY"} | {
        "OAUTH_JWT_SECRET": "s" * 40
    }
    with caplog.at_level(logging.WARNING):
        settings = load_settings(environ)
    assert settings.jwt_signing_key is not None
    assert "deprecated" in caplog.text
    assert "s" * 40 not in caplog.text


def test_telegrams_issuer_names_telegram_users_and_any_other_issuer_its_subjects() -> None:
    assert load_settings(OAUTH_BASE).oidc_telegram_ids
    other = {**OAUTH_BASE, "TELEGRAM_OIDC_ISSUER": "https://idp.example"}
    settings = load_settings(
        {**other, "OIDC_ADMIN_SUBJECTS": "root, john doe", "OIDC_CLIENT_SUBJECTS": "a1-b2"}
    )
    assert not settings.oidc_telegram_ids
    assert settings.oidc_admin_subjects == {"root", "john doe"}
    assert load_settings({**other, "OIDC_IDENTITY": "telegram", "TG_LOGIN_ADMINS": "7"}).oidc_telegram_ids


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"TELEGRAM_OIDC_ISSUER": "https://idp.example", "TG_LOGIN_ADMINS": "7"}, "TG_LOGIN_ADMINS"),
        ({"TELEGRAM_OIDC_ISSUER": "https://idp.example", "TG_LOGIN_CLIENTS": "7"}, "TG_LOGIN_CLIENTS"),
        ({"OIDC_ADMIN_SUBJECTS": "root"}, "OIDC_ADMIN_SUBJECTS"),
        ({"OIDC_IDENTITY": "telegram", "OIDC_CLIENT_SUBJECTS": "johndoe"}, "OIDC_CLIENT_SUBJECTS"),
        ({"OIDC_IDENTITY": "email"}, "OIDC_IDENTITY"),
    ],
)
def test_an_access_list_that_can_never_match_the_issuer_is_refused_at_boot(
    changes: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**OAUTH_BASE, **changes})
    assert caught.value.variable == variable
