"""``mctltg token``: mistakes are one sentence and exit 2, with nothing stored; no issuer, no tokens."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from mctltg.cli_token import add_token_arguments, token_command
from tests.harness.oauth import oauth_settings
from tests.harness.settings import sandbox_settings


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_token_arguments(parser.add_subparsers(dest="command"))
    return parser.parse_args(["token", *argv])


def test_a_server_that_issues_no_tokens_mints_no_worker_tokens(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = token_command(sandbox_settings(tmp_path), _args("list"), out=out, err=err)
    assert code == 2
    assert err.getvalue() == (
        "mctltg token: worker tokens are this server's own access tokens; they need "
        "AUTH_MODE=local-jwt with OAUTH_JWT_SIGNING_KEY set\n"
    )
    assert out.getvalue() == ""


def test_an_unknown_identity_or_jti_is_one_sentence_and_nothing_is_stored(tmp_path: Path) -> None:
    settings = oauth_settings(tmp_path)
    answers = []
    for argv in (
        (
            "mint",
            "--identity",
            "tg:404",
            "--scopes",
            "telegram:dialogs:read",
            "--ttl",
            "1h",
            "--purpose",
            "x",
        ),
        ("revoke", "--jti", "no-such-jti"),
    ):
        out, err = io.StringIO(), io.StringIO()
        code = token_command(settings, _args(*argv), out=out, err=err)
        answers.append((code, err.getvalue(), out.getvalue()))
    listed = io.StringIO()
    assert token_command(settings, _args("list"), out=listed) == 0
    assert answers[0] == (2, "mctltg token: identity: no identity 'tg:404' exists on this server\n", "")
    assert answers[1][0] == 2
    assert answers[1][1].startswith("mctltg token: --jti: no worker token has this jti")
    assert listed.getvalue().splitlines()[1:] == []
