"""The canary's three metric families, in their own registry: pushed to a Pushgateway or served."""

from __future__ import annotations

import functools

import trio

from mctltg.canary.probe import STEPS, CanaryReport

__all__ = ["CanaryMetrics"]


class CanaryMetrics:
    """The three canary metric families in their own registry (pushed or served)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry = CollectorRegistry()
        self._success = Gauge(
            "mctl_telegram_canary_success", "1 if every canary step passed, else 0", registry=self.registry
        )
        self._duration = Gauge(
            "mctl_telegram_canary_duration_seconds",
            "Wall-clock time of the canary run",
            registry=self.registry,
        )
        self._failures = Counter(
            "mctl_telegram_canary_step_failure",
            "Canary step failures, by step",
            ["step"],
            registry=self.registry,
        )
        for name in STEPS:
            self._failures.labels(name)

    def record(self, report: CanaryReport) -> None:
        self._success.set(1 if report.success else 0)
        self._duration.set(report.seconds)
        for step in report.steps:
            if not step.ok:
                self._failures.labels(step.step).inc()

    async def push(self, gateway: str, *, job: str, instance: str, http_timeout: float) -> None:
        """PUT the registry to ``gateway`` (urllib in a thread, bounded by ``http_timeout``)."""
        from prometheus_client import push_to_gateway

        push = functools.partial(
            push_to_gateway,
            gateway,
            job=job,
            registry=self.registry,
            grouping_key={"instance": instance},
            timeout=http_timeout,
        )
        await trio.to_thread.run_sync(push)
