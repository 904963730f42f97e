"""``mctltg canary`` on the command line: exit codes 0/1/2, pushed or served metrics, usage errors."""

from __future__ import annotations

import argparse
import functools
import io
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from prometheus_client.parser import text_string_to_metric_families

from mctltg.canary import UsageError, add_arguments, canary_command, config_from
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from tests.harness.inprocess import serve_provisioned
from tests.harness.oauth import read_only_token
from tests.harness.processes import start_demo
from tests.harness.settings import OAUTH_MODE


@dataclass(frozen=True, slots=True)
class Push:
    method: str
    path: str
    body: str


@asynccontextmanager
async def fake_pushgateway() -> AsyncIterator[tuple[str, list[Push]]]:
    """A small HTTP server that records what is pushed to it and answers 200, like a Pushgateway."""
    pushes: list[Push] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        pushes.append(Push(method=scope["method"], path=scope["path"], body=body.decode()))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(functools.partial(serve, app, config, shutdown_trigger=stop.wait))
        yield binds[0], pushes
        stop.set()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): float(sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def run_canary(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    with trio.fail_after(60):
        return await trio.run_process(
            [sys.executable, "-m", "mctltg", "canary", *args],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
            env=env,
        )


async def test_the_canary_against_the_demo_exits_0_and_pushes_to_a_pushgateway() -> None:
    async with start_demo() as demo, fake_pushgateway() as (gateway, pushes):
        finished = await run_canary(
            "--base-url", demo.url, "--no-auth", "--probe-unread", "--pushgateway", gateway
        )
    output = finished.stdout.decode()
    assert finished.returncode == 0, output + finished.stderr.decode()
    assert "canary as_metadata: skipped" in output
    assert "--no-auth" in output
    for step in ("initialize", "list_dialogs", "get_unread_messages"):
        assert f"canary {step}: ok" in output
    assert len(pushes) == 1
    push = pushes[0]
    assert push.method == "PUT"
    assert push.path.startswith("/metrics/job/mctltg_canary/instance/")
    pushed = samples(push.body)
    assert pushed[("mctl_telegram_canary_success", ())] == 1
    assert pushed[("mctl_telegram_canary_duration_seconds", ())] > 0
    assert pushed[("mctl_telegram_canary_step_failure_total", (("step", "list_dialogs"),))] == 0


async def test_a_flood_wait_fails_the_canary_and_counts_the_step(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.flood_wait(600, request="messages.GetDialogsRequest"))
    async with serve_provisioned(tmp_path, world, demo) as server, fake_pushgateway() as (gateway, pushes):
        finished = await run_canary("--base-url", server.base_url, "--no-auth", "--pushgateway", gateway)
    output = finished.stdout.decode()
    assert finished.returncode == 1, output
    assert "canary list_dialogs: FAILED" in output
    assert "(Telegram answered FLOOD_WAIT)" in output
    pushed = samples(pushes[0].body)
    assert pushed[("mctl_telegram_canary_success", ())] == 0
    assert pushed[("mctl_telegram_canary_step_failure_total", (("step", "list_dialogs"),))] == 1
    assert pushed[("mctl_telegram_canary_step_failure_total", (("step", "initialize"),))] == 0


async def test_on_an_oauth_deployment_the_canary_checks_as_metadata_and_reads_with_a_read_only_token(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = {**OAUTH_MODE, "TG_LOGIN_CLIENTS": str(demo.me)}
    async with serve_provisioned(tmp_path, world, demo, **settings) as server, httpx.AsyncClient() as http:
        issued = await read_only_token(server, http, demo.me)
        token = issued.access_token
        token_file = tmp_path / "canary.token"
        token_file.write_text(token + "\n", encoding="utf-8")
        good = await run_canary(
            "--base-url", server.base_url, "--probe-unread", env={**os.environ, "CANARY_BEARER_TOKEN": token}
        )
        from_file = await run_canary("--base-url", server.base_url, "--token-file", str(token_file))
        forged = await run_canary(
            "--base-url", server.base_url, env={**os.environ, "CANARY_BEARER_TOKEN": "forged-token"}
        )
        refresh_file = tmp_path / "canary.refresh"
        refresh_file.write_text(issued.refresh_token, encoding="utf-8")
        unattended = [
            await run_canary(
                "--base-url",
                server.base_url,
                "--refresh-token-file",
                str(refresh_file),
                "--client-id",
                issued.client_id,
            )
            for _ in range(2)
        ]
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    for step in ("as_metadata", "initialize", "list_dialogs", "get_unread_messages"):
        assert f"canary {step}: ok" in good.stdout.decode()
    assert from_file.returncode == 0, from_file.stdout.decode()
    assert forged.returncode == 1
    assert "canary as_metadata: ok" in forged.stdout.decode()
    assert "canary initialize: FAILED" in forged.stdout.decode()
    for run in unattended:  # the second run works only if the first stored the rotated token
        assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
        assert "canary token_refresh: ok" in run.stdout.decode()
    rotated = refresh_file.read_text(encoding="utf-8").strip()
    assert rotated != issued.refresh_token
    assert refresh_file.stat().st_mode & 0o777 == 0o600
    everything = good.stdout + good.stderr + from_file.stdout + forged.stdout + forged.stderr
    everything += b"".join(run.stdout + run.stderr for run in unattended)
    assert token.encode() not in everything
    assert issued.refresh_token.encode() not in everything
    assert rotated.encode() not in everything
    assert b"forged-token" not in everything


async def test_usage_errors_exit_2_with_one_sentence() -> None:
    no_url = await run_canary("--no-auth", env={"PATH": "/usr/bin:/bin"})
    no_token = await run_canary("--base-url", "http://127.0.0.1:9", env={"PATH": "/usr/bin:/bin"})
    assert no_url.returncode == 2
    assert no_token.returncode == 2
    assert b"CANARY_BASE_URL" in no_url.stderr
    assert b"CANARY_BEARER_TOKEN" in no_token.stderr
    assert b"Traceback" not in no_url.stderr + no_token.stderr


async def test_an_unreachable_deployment_exits_1() -> None:
    finished = await run_canary("--base-url", "http://127.0.0.1:9", "--no-auth", "--timeout", "5")
    assert finished.returncode == 1
    assert b"canary initialize: FAILED" in finished.stdout


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_settings_come_from_the_environment_read_as_the_server_reads_its_own() -> None:
    config = config_from(
        _args(),
        {
            "CANARY_BASE_URL": " https://tg.example.com/ ",
            "CANARY_BEARER_TOKEN": "t0ken",
            "CANARY_PROBE_UNREAD": "Yes",
            "CANARY_MCP_PATH": "mcp",
            "CANARY_TIMEOUT": "12s",
        },
    )
    assert config.base_url == "https://tg.example.com"
    assert config.probe_unread
    assert config.mcp_path == "/mcp"
    assert config.timeout == 12
    assert "t0ken" not in repr(config)


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"CANARY_BASE_URL": "tg.example.com"}, "CANARY_BASE_URL"),
        ({"CANARY_PROBE_UNREAD": "perhaps"}, "CANARY_PROBE_UNREAD must be true or false"),
        ({"CANARY_TIMEOUT": "forever"}, "must be a number of seconds"),
    ],
)
def test_a_bad_canary_variable_is_named_in_one_sentence(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        config_from(_args("--no-auth"), {"CANARY_BASE_URL": "http://127.0.0.1:9", **environ})


@pytest.mark.parametrize(
    ("serve", "fragment"),
    [(":9090", "must be host:port"), ("127.0.0.1:99999", "between 0 and 65535"), ("nonsense", "host:port")],
)
def test_a_bad_metrics_address_exits_2_naming_the_option(serve: str, fragment: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = canary_command(
        _args("--no-auth", "--base-url", "http://127.0.0.1:9", "--serve", serve), out=out, err=err, environ={}
    )
    assert code == 2
    assert err.getvalue().startswith("mctltg canary: --serve / CANARY_METRICS_ADDR")
    assert fragment in err.getvalue()
    assert out.getvalue() == ""


async def test_with_serve_the_canary_probes_serves_its_metrics_and_stops_on_sigterm() -> None:
    async with start_demo() as demo:
        command = [sys.executable, "-m", "mctltg", "canary", "--base-url", demo.url, "--no-auth"]
        process = await trio.lowlevel.open_process(
            [*command, "--serve", "127.0.0.1:0", "--interval", "3600"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert process.stdout is not None
            printed = ""
            with trio.fail_after(60):
                while "canary: success" not in printed and "canary: FAILURE" not in printed:
                    chunk = await process.stdout.receive_some(65536)
                    assert chunk, f"the canary exited early: {printed}"
                    printed += chunk.decode()
                serving = next(line for line in printed.splitlines() if "serving metrics on" in line)
                metrics_url = serving.split("serving metrics on ", 1)[1].split(",", 1)[0]
                async with httpx.AsyncClient() as http:
                    scraped = await http.get(metrics_url)
                process.terminate()
                await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                with trio.move_on_after(5):
                    await process.wait()
    assert "canary: success" in printed, printed
    assert scraped.status_code == 200
    served = samples(scraped.text)
    assert served[("mctl_telegram_canary_success", ())] == 1
    assert served[("mctl_telegram_canary_step_failure_total", (("step", "list_dialogs"),))] == 0
    assert process.returncode == 0


async def run_mctltg(*args: str) -> subprocess.CompletedProcess[bytes]:
    with trio.fail_after(60):
        return await trio.run_process(
            [sys.executable, "-m", "mctltg", *args], capture_stdout=True, capture_stderr=True, check=False
        )


async def test_a_worker_token_minted_by_the_operator_runs_the_canary_until_it_is_revoked(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    key = secrets.token_hex(32)
    settings = {**OAUTH_MODE, "TG_LOGIN_CLIENTS": str(demo.me), "ENCRYPTION_KEY": key}
    async with serve_provisioned(tmp_path, world, demo, **settings) as server, httpx.AsyncClient() as http:
        await read_only_token(server, http, demo.me)  # the canary's person signed in once
        operator_env = tmp_path / "operator.env"
        same = {
            **settings,
            "TELEGRAM_SANDBOX": "true",
            "DATABASE_URL": server.services.settings.database_url,
            "ADDR": server.services.settings.addr,
            "PUBLIC_BASE_URL": server.base_url,
        }
        operator_env.write_text("".join(f"{k}={v}\n" for k, v in same.items()), encoding="utf-8")
        token_cli = ("--env-file", str(operator_env), "token")
        subject = f"tg:{demo.me}"
        too_long = await run_mctltg(
            *token_cli, "mint", "--identity", subject, "--scopes", "telegram:dialogs:read", "--ttl", "9000h",
            "--purpose", "canary",
        )  # fmt: skip
        too_wide = await run_mctltg(
            *token_cli,
            "mint",
            "--identity",
            subject,
            "--scopes",
            "admin:users",
            "--ttl",
            "1h",
            "--purpose",
            "x",
        )
        minted = await run_mctltg(
            *token_cli, "mint", "--identity", subject, "--scopes", "telegram:dialogs:read",
            "telegram:messages:read", "--ttl", "30d", "--purpose", "canary",
        )  # fmt: skip
        token = minted.stdout.decode().strip()
        token_file = tmp_path / "canary.token"
        token_file.write_text(token + "\n", encoding="utf-8")
        healthy = await run_canary(
            "--base-url", server.base_url, "--probe-unread", "--token-file", str(token_file)
        )
        listed = await run_mctltg(*token_cli, "list")
        jti = minted.stderr.decode().split()[2]
        revoked = await run_mctltg(*token_cli, "revoke", "--jti", jti)
        refused = await run_canary("--base-url", server.base_url, "--token-file", str(token_file))
    assert too_long.returncode == 2
    assert too_long.stderr.decode().startswith("mctltg token: ttl: 375d is longer than WORKER_TOKEN_MAX_TTL")
    assert too_wide.returncode == 2
    assert "does not include admin:users" in too_wide.stderr.decode()
    assert b"Traceback" not in too_long.stderr + too_wide.stderr
    assert minted.returncode == 0, minted.stderr.decode()
    assert token.count(".") == 2  # only the JWT on stdout
    assert healthy.returncode == 0, healthy.stdout.decode() + healthy.stderr.decode()
    for step in ("as_metadata", "initialize", "list_dialogs", "get_unread_messages"):
        assert f"canary {step}: ok" in healthy.stdout.decode()
    rows = [line.split("\t") for line in listed.stdout.decode().splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [
        (jti, subject, "canary", "live")
    ]  # one: bad mints left none
    assert revoked.returncode == 0
    assert f"revoked {jti}" in revoked.stdout.decode()
    assert refused.returncode == 1
    assert "canary initialize: FAILED" in refused.stdout.decode()
    assert token.encode() not in healthy.stdout + healthy.stderr + listed.stdout + refused.stdout
