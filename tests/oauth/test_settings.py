"""OAuth settings: bounds, the deprecated key name, and what local-jwt mode requires."""

from __future__ import annotations

import logging

import pytest

from mctltg.config import load_settings
from mctltg.errors import ConfigError

BASE = {
    "ENCRYPTION_KEY": "ab" * 32,
    "TELEGRAM_SANDBOX": "true",
    "AUTH_MODE": "local-jwt",
    "OAUTH_JWT_SIGNING_KEY": "k" * 40,
    "TELEGRAM_OIDC_CLIENT_ID": "bot",
    "TELEGRAM_OIDC_CLIENT_SECRET": "secret",
}


def test_defaults_are_an_hour_and_thirty_days_at_telegrams_issuer() -> None:
    settings = load_settings(BASE)
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
        load_settings({**BASE, **changes})
    assert caught.value.variable == variable


def test_lists_and_durations_parse(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(
        {
            **BASE,
            "TG_LOGIN_ADMINS": "1, 2",
            "OAUTH_ACCESS_TOKEN_TTL": "15m",
            "OAUTH_ALLOWED_REDIRECT_HOSTS": "Claude.ai,chatgpt.com",
        }
    )
    assert settings.login_admins == {1, 2}
    assert settings.access_token_ttl == 900
    assert settings.allowed_redirect_hosts == {"claude.ai", "chatgpt.com"}


def test_the_deprecated_jwt_secret_name_still_works_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    environ = {k: v for k, v in BASE.items() if k != "OAUTH_JWT_SIGNING_KEY"} | {"OAUTH_JWT_SECRET": "s" * 40}
    with caplog.at_level(logging.WARNING):
        settings = load_settings(environ)
    assert settings.jwt_signing_key is not None
    assert "deprecated" in caplog.text
    assert "s" * 40 not in caplog.text
