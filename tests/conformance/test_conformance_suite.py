"""The official MCP conformance suite passes against a running ``mctltg demo``.

``@modelcontextprotocol/conformance`` (installed into tests/node by scripts/install-node,
run with the Node 22 binary installed there too) drives the server as an MCP client
and checks each answer against the specification. Three runs: the generic server
scenarios (the suite's default "active" set), the 2025-11-25 requirement set on the
stateful handshake wire, and the 2026-07-28 set on the stateless wire that the ``mcp``
2.x SDK serves on the same endpoint. Checks that call the suite's own fixture tools,
prompts and resources are listed in ``expected-failures.yaml`` with a reason each; the
suite exits non-zero on any other failure and on a listed check that starts passing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import trio

from tests.harness.processes import NODE_DIR, node_binary, start_demo

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
EXPECTED_FAILURES = HERE / "expected-failures.yaml"
SUITE = NODE_DIR / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"

#: Scenarios whose every check must succeed in the run that includes them.
MUST_SUCCEED = {
    "active": {
        "server-initialize",
        "server-session-lifecycle",
        "ping",
        "tools-list",
        "server-sse-multiple-streams",
        "resources-list",
        "prompts-list",
        "completion-complete",
        "dns-rebinding-protection",
    },
    "2025-11-25": {"server-initialize", "ping", "tools-list", "dns-rebinding-protection"},
    "2026-07-28": {
        "tools-list",
        "sep-2164-resource-not-found",
        "dns-rebinding-protection",
        "caching",
        "http-header-validation",
        "input-required-result-unsupported-methods",
    },
}


def _checks_by_scenario(results: Path) -> dict[str, list[dict[str, str]]]:
    """``server-<scenario>-<timestamp>/checks.json`` → scenario name → its checks."""
    found: dict[str, list[dict[str, str]]] = {}
    for path in results.glob("server-*/checks.json"):
        scenario = path.parent.name.removeprefix("server-").rsplit("-", 6)[0]
        found[scenario] = json.loads(path.read_text(encoding="utf-8"))
    return found


@pytest.mark.parametrize("requirements", ["active", "2025-11-25", "2026-07-28"])
async def test_the_conformance_suite_passes_apart_from_its_own_fixtures(
    requirements: str, tmp_path: Path
) -> None:
    selection = [] if requirements == "active" else ["--requirements", requirements]
    async with start_demo() as server:
        with trio.fail_after(180):
            done = await trio.run_process(
                [
                    node_binary(),
                    str(SUITE),
                    "server",
                    "--url",
                    f"{server.url}/mcp",
                    *selection,
                    "--expected-failures",
                    str(EXPECTED_FAILURES),
                    "-o",
                    str(tmp_path),
                ],
                cwd=NODE_DIR,
                capture_stdout=True,
                stderr=subprocess.STDOUT,
                check=False,
            )
    report = done.stdout.decode(errors="replace")
    assert done.returncode == 0, report[-6000:]
    assert "Baseline check passed" in report or "Unexpected" not in report, report[-6000:]
    checks = _checks_by_scenario(tmp_path)
    assert len(checks) >= 25, sorted(checks)
    for scenario in MUST_SUCCEED[requirements]:
        statuses = {check["id"]: check["status"] for check in checks[scenario]}
        assert statuses, scenario
        assert "SUCCESS" in statuses.values(), (scenario, statuses)
        assert set(statuses.values()) <= {"SUCCESS", "SKIPPED", "INFO"}, (scenario, statuses)
    # Every message mctltg sent was valid per the spec's JSON schema, in every scenario.
    wire = [check for found in checks.values() for check in found if check["id"] == "wire-schema-valid"]
    assert wire
    assert {check["status"] for check in wire} == {"SUCCESS"}
