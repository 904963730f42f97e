"""One probe run: a failing deployment becomes one-line step notes, never an exception.

The passing runs go through ``mctltg canary`` as a process (``test_command.py``): the SDK's
legacy-mode client leaves its SSE generators to the garbage collector on close, which this
suite's warnings-as-errors would report against an in-process probe.
"""

from __future__ import annotations

from pathlib import Path

from mctltg.canary import CanaryConfig, probe
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import serve_provisioned


async def test_the_canary_fails_when_the_as_metadata_is_missing_and_stops_there(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo, provision=False) as server:
        report = await probe(CanaryConfig(base_url=server.base_url, token="some-token", timeout=20))
    assert [(step.step, step.ok, step.note) for step in report.steps] == [("as_metadata", False, "HTTP 404")]
    assert not report.success
    assert report.lines()[-1].startswith("canary: FAILURE in ")
