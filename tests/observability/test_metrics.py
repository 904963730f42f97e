"""``/metrics``: per-server Prometheus metrics over real HTTP, the request id, ``METRICS_ALLOW_CIDR``."""

from __future__ import annotations

import io
import ipaddress
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families

from mctltg.accounts import LoginStep
from mctltg.app import Services, provision_sandbox_account
from mctltg.cli import main
from mctltg.observability.metrics import Metrics
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from mctltg.web.metrics_endpoint import client_allowed
from tests.harness.inprocess import serve_provisioned
from tests.harness.logs import captured_logs as capture_logs
from tests.harness.mcp_client import ACCEPT
from tests.harness.settings import OAUTH_MODE


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of sample ``name`` with exactly ``labels`` in a scrape, or None."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    with capture_logs(logging.DEBUG) as stream:
        yield stream


def test_two_servers_in_one_process_keep_separate_counts() -> None:
    first, second = Metrics(), Metrics()
    first.observe_tool_call(tool="list_dialogs", outcome="ok", seconds=0.2)
    first.login_attempt("wrong_code")
    assert first.value("mctltg_tool_calls_total", {"tool": "list_dialogs", "outcome": "ok"}) == 1
    assert second.value("mctltg_tool_calls_total", {"tool": "list_dialogs", "outcome": "ok"}) is None
    assert first.value("mctltg_login_attempts_total", {"outcome": "wrong_code"}) == 1


def test_label_values_outside_the_vocabulary_are_counted_as_other() -> None:
    metrics = Metrics()
    metrics.login_attempt("+1 555 0100 <script>")
    metrics.auth_failure("Bearer eyJhbGciOi")
    assert metrics.value("mctltg_login_attempts_total", {"outcome": "other"}) == 1
    assert metrics.value("mctltg_auth_failures_total", {"reason": "other"}) == 1
    assert b"555" not in metrics.render()


async def test_accounts_and_database_work_are_read_when_scraped(services: Services, demo: DemoWorld) -> None:
    before = sample(services.metrics.render().decode(), "mctltg_accounts_connected")
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    scrape = services.metrics.render().decode()
    assert before == 0
    assert sample(scrape, "mctltg_accounts_connected") == 1
    assert sample(scrape, "mctltg_accounts", state="ready") == 1
    writes = sample(scrape, "mctltg_database_writes_total")
    assert writes is not None
    assert writes > 0
    assert sample(scrape, "mctltg_build_info", version="0.1.0") == 1


async def test_http_requests_are_counted_by_route_template_and_status(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server, httpx.AsyncClient() as http:
        with trio.fail_after(20):
            for _ in range(2):
                assert (await http.get(server.base_url + "/healthz")).status_code == 200
            assert (await http.get(server.base_url + "/no/such/page/12345")).status_code == 404
            scraped = await http.get(server.base_url + "/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = scraped.text
    assert sample(text, "mctltg_http_requests_total", method="GET", route="/healthz", status="200") == 2
    assert sample(text, "mctltg_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert "12345" not in text
    assert sample(text, "mctltg_accounts_connected") == 1


async def test_tool_calls_and_flood_waits_are_counted_by_tool_and_outcome(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server:
        with trio.fail_after(30):
            async with Client(server.mcp_url) as client:
                assert not (await client.call_tool("list_dialogs", {"limit": 5})).is_error
                world.add_fault(Fault.flood_wait(600, request="messages.GetDialogsRequest"))
                flooded = await client.call_tool("list_dialogs", {"limit": 5})
                assert flooded.is_error
        metrics = server.services.metrics
    assert metrics.value("mctltg_tool_calls_total", {"tool": "list_dialogs", "outcome": "ok"}) == 1
    assert (
        metrics.value("mctltg_tool_calls_total", {"tool": "list_dialogs", "outcome": "error:flood_wait"}) == 1
    )
    assert metrics.value("mctltg_tool_call_duration_seconds_count", {"tool": "list_dialogs"}) == 2
    assert metrics.value("mctltg_telegram_flood_wait_events_total", {"tool": "list_dialogs"}) == 1


async def test_every_response_carries_a_request_id_and_a_proxys_plain_id_is_kept(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with (
        serve_provisioned(tmp_path, world, demo, provision=False) as server,
        httpx.AsyncClient() as http,
    ):
        with trio.fail_after(20):
            minted = await http.get(server.base_url + "/healthz")
            kept = await http.get(server.base_url + "/healthz", headers={"X-Request-Id": "edge-0123abcd"})
            odd = await http.get(server.base_url + "/healthz", headers={"X-Request-Id": "a b <c> d e"})
            phone_like = await http.get(
                server.base_url + "/healthz", headers={"X-Request-Id": "id-15550100123"}
            )
    assert re.fullmatch(r"[a-z]{16}", minted.headers["x-request-id"])
    assert kept.headers["x-request-id"] == "edge-0123abcd"
    assert re.fullmatch(r"[a-z]{16}", odd.headers["x-request-id"])
    assert re.fullmatch(r"[a-z]{16}", phone_like.headers["x-request-id"])


async def test_log_lines_of_a_tool_call_carry_the_id_of_the_http_request_that_carried_it(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, captured_logs: io.StringIO
) -> None:
    sent: list[tuple[str, bytes]] = []

    async def stamp(request: httpx2.Request) -> None:
        request_id = f"req{len(sent)}-stamped"
        request.headers["X-Request-Id"] = request_id
        sent.append((request_id, bytes(request.content)))

    async with serve_provisioned(tmp_path, world, demo) as server:
        with trio.fail_after(30):
            async with (
                httpx2.AsyncClient(event_hooks={"request": [stamp]}) as http,
                Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
            ):
                assert not (await client.call_tool("list_dialogs", {"limit": 3})).is_error
    carrying = [request_id for request_id, body in sent if b'"tools/call"' in body]
    assert len(carrying) == 1
    tool_lines = [line for line in captured_logs.getvalue().splitlines() if 'msg="tool call"' in line]
    assert len(tool_lines) == 1
    assert f"request_id={carrying[0]}" in tool_lines[0]
    assert f"request_id={carrying[0]}" in "\n".join(
        line for line in captured_logs.getvalue().splitlines() if 'msg="http request"' in line
    )


async def test_metrics_from_outside_the_allowed_networks_get_403(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with (
        serve_provisioned(tmp_path, world, demo, provision=False, METRICS_ALLOW_CIDR="10.0.0.0/8") as server,
        httpx.AsyncClient() as http,
    ):
        with trio.fail_after(20):
            refused = await http.get(server.base_url + "/metrics")
            health = await http.get(server.base_url + "/healthz")
    assert refused.status_code == 403
    assert "mctltg_" not in refused.text
    assert health.status_code == 200


def test_the_tcp_peer_decides_and_ipv4_mapped_addresses_match_their_ipv4_network() -> None:
    loopback = [ipaddress.ip_network("127.0.0.0/8")]
    assert client_allowed(("127.0.0.1", 5000), loopback)
    assert client_allowed(("::ffff:127.0.0.1", 5000), loopback)
    assert not client_allowed(("192.0.2.7", 5000), loopback)
    assert not client_allowed(None, loopback)
    assert client_allowed(("192.0.2.7", 5000), [])


def test_an_invalid_metrics_cidr_refuses_to_start_with_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("METRICS_ALLOW_CIDR", "10.0.0.0/8,not-a-network")
    assert main(["--env-file", str(tmp_path / "none.env"), "serve"]) == 2
    error = capsys.readouterr().err
    assert "METRICS_ALLOW_CIDR" in error
    assert "not-a-network" in error
    assert "Traceback" not in error


async def test_refused_bearer_credentials_are_counted_by_reason(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    headers = ACCEPT
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with (
        serve_provisioned(tmp_path, world, demo, provision=False, **OAUTH_MODE) as server,
        httpx.AsyncClient() as http,
    ):
        with trio.fail_after(20):
            bare = await http.post(server.mcp_url, json=ping, headers=headers)
            forged = await http.post(
                server.mcp_url, json=ping, headers={**headers, "Authorization": "Bearer not.a.token"}
            )
            text = (await http.get(server.base_url + "/metrics")).text
    assert (bare.status_code, forged.status_code) == (401, 401)
    assert sample(text, "mctltg_auth_failures_total", reason="no_token") == 1
    assert sample(text, "mctltg_auth_failures_total", reason="invalid_token") == 1
    assert sample(text, "mctltg_http_requests_total", method="POST", route="/mcp", status="401") == 2


async def test_login_attempts_are_counted_by_outcome(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    identity = await services.identities.ensure("operator")
    with trio.fail_after(30):
        view = await services.logins.start_phone(identity.id, demo.second_phone)
        code = world.last_login_code(demo.second_phone)
        assert code is not None
        wrong = "11111" if code != "11111" else "22222"
        view = await services.logins.submit_code(identity.id, view.login_id, wrong)
        view = await services.logins.submit_code(identity.id, view.login_id, code)
        view = await services.logins.submit_password(identity.id, view.login_id, demo.second_password)
    assert view.step is LoginStep.DONE
    metrics = services.metrics
    assert metrics.value("mctltg_login_attempts_total", {"outcome": "wrong_code"}) == 1
    assert metrics.value("mctltg_login_attempts_total", {"outcome": "success"}) == 1
