"""The canary's metrics: success and duration of the last run, failures counted per step."""

from __future__ import annotations

from mctltg.canary import STEPS, CanaryMetrics, CanaryReport, StepResult


def _report(*failed: str) -> CanaryReport:
    steps = tuple(StepResult(step=name, ok=name not in failed, seconds=0.25) for name in STEPS)
    return CanaryReport(steps=steps, seconds=1.5)


def test_a_failed_step_is_counted_under_its_name_and_clears_success() -> None:
    metrics = CanaryMetrics()
    metrics.record(_report("as_metadata"))
    metrics.record(_report("as_metadata", "list_dialogs"))
    value = metrics.registry.get_sample_value
    assert value("mctl_telegram_canary_success") == 0
    assert value("mctl_telegram_canary_duration_seconds") == 1.5
    assert value("mctl_telegram_canary_step_failure_total", {"step": "as_metadata"}) == 2
    assert value("mctl_telegram_canary_step_failure_total", {"step": "list_dialogs"}) == 1
    assert value("mctl_telegram_canary_step_failure_total", {"step": "initialize"}) == 0


def test_a_passing_run_sets_success_and_every_step_starts_at_zero_failures() -> None:
    metrics = CanaryMetrics()
    metrics.record(_report())
    value = metrics.registry.get_sample_value
    assert value("mctl_telegram_canary_success") == 1
    for step in STEPS:
        assert value("mctl_telegram_canary_step_failure_total", {"step": step}) == 0
