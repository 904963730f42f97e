"""The built executable ``dist/mctltg`` (PyInstaller onefile): it serves, probes, logs in, makes keys.

These tests run only the executable, never this source tree. ``scripts/test`` builds it
(``scripts/build``, in parallel with the main test run) and then runs this file on its
own (``pytest -m binary``); the main run leaves it out. A missing executable is a
failure, not a skip: CI must prove the artefact people download works.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
import trio
from mcp import Client

from tests.harness.inprocess import free_port
from tests.harness.processes import start_demo

pytestmark = pytest.mark.binary

BINARY = Path(__file__).resolve().parents[2] / "dist" / "mctltg"


def binary() -> str:
    if not BINARY.is_file():
        raise AssertionError(f"{BINARY} is missing: build it with scripts/build (scripts/test does) first")
    return str(BINARY)


async def wait_ready(http: httpx.AsyncClient, url: str) -> None:
    """Poll ``/readyz`` until it answers 200 (the caller bounds the wait)."""
    while True:
        try:
            if (await http.get(url + "/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await trio.sleep(0.05)


async def test_the_executable_runs_the_demo_answers_readyz_and_a_tool_over_http() -> None:
    async with start_demo(command=[binary()]) as server, httpx.AsyncClient() as http:
        with trio.fail_after(60):
            await wait_ready(http, server.url)
            async with Client(f"{server.url}/mcp") as client:
                result = await client.call_tool("list_dialogs", {"limit": 5})
            canary = await trio.run_process(
                [binary(), "canary", "--base-url", server.url, "--no-auth"],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
            )
            scrape = (await http.get(f"{server.url}/metrics")).text
    assert not result.is_error, result
    assert result.structured_content is not None
    assert result.structured_content["sandbox"] is True
    assert len(result.structured_content["dialogs"]) == 5
    assert canary.returncode == 0, canary.stdout.decode() + canary.stderr.decode()
    assert 'mctltg_tool_calls_total{outcome="ok",tool="list_dialogs"}' in scrape


async def test_the_executable_serves_the_pages_with_their_templates_and_static_files() -> None:
    async with start_demo(command=[binary()]) as server, httpx.AsyncClient(base_url=server.url) as http:
        with trio.fail_after(60):
            await wait_ready(http, server.url)
            pages = {path: await http.get(path) for path in ("/", "/docs", "/security", "/privacy")}
            assets = [await http.get(f"/static/{name}") for name in ("site.css", "connect.js", "favicon.svg")]
            manage = await http.get("/telegram/connect/manage", follow_redirects=True)
    assert all(page.status_code == 200 and "/static/site.css" in page.text for page in pages.values())
    assert f"<code>{server.url}/mcp</code>" in pages["/"].text
    assert 'data-tool="list_dialogs"' in pages["/docs"].text
    assert [asset.status_code for asset in assets] == [200, 200, 200]
    assert "Ada Lovelace" in manage.text  # the demo's operator account, no sign-in in local-dev mode


async def test_the_executable_serves_from_settings_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ADDR": f"127.0.0.1:{port}",
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
        "DATABASE_URL": str(tmp_path / "serve.db"),
        "ENCRYPTION_KEY": secrets.token_hex(32),
    }
    process = await trio.lowlevel.open_process(
        [binary(), "--env-file", str(tmp_path / "none.env"), "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as http:
            with trio.fail_after(60):
                await wait_ready(http, f"http://127.0.0.1:{port}")
                scrape = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(10):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    assert 'mctltg_build_info{version="' in scrape
    assert (tmp_path / "serve.db").is_file()


async def test_the_executable_prints_keys_and_refuses_a_bad_setting_with_exit_code_2(tmp_path: Path) -> None:
    keys = await trio.run_process([binary(), "keygen"], capture_stdout=True)
    refused = await trio.run_process(
        [binary(), "--env-file", str(tmp_path / "none.env"), "serve"],
        env={"METRICS_ALLOW_CIDR": "10.0.0.1/8"},
        capture_stderr=True,
        check=False,
    )
    assert re.fullmatch(r"ENCRYPTION_KEY=[0-9a-f]{64}\nOAUTH_JWT_SIGNING_KEY=\S{40,}\n", keys.stdout.decode())
    assert refused.returncode == 2
    assert refused.stderr.decode().startswith("mctltg: METRICS_ALLOW_CIDR:")


async def test_the_executable_starts_a_qr_login(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AUTH_MODE": "local-dev",
        "AUTH_REQUIRED": "false",
        "TELEGRAM_SANDBOX": "true",
        "DATABASE_URL": str(tmp_path / "login.db"),
        "ENCRYPTION_KEY": secrets.token_hex(32),
    }
    process = await trio.lowlevel.open_process(
        [binary(), "--env-file", str(tmp_path / "none.env"), "login", "--qr"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    shown = ""
    try:
        assert process.stdout is not None
        with trio.fail_after(60):
            while "tg://login?token=" not in shown:
                chunk = await process.stdout.receive_some(65536)
                if not chunk:
                    break
                shown += chunk.decode(errors="replace")
    finally:
        process.send_signal(signal.SIGTERM)
        with trio.move_on_after(10):
            await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "tg://login?token=" in shown, shown
    assert "Waiting for the scan" in shown
