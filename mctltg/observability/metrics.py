"""Prometheus metrics for one server: a ``Metrics`` object, never a module-global registry.

The composition root builds one ``Metrics`` per running server (tests run several in
one process), each with its own ``CollectorRegistry``. Events are counted where they
happen through small methods (``http_request``, ``observe_tool_call``, ``flood_wait``,
``auth_failure``, ``login_attempt``); state that other objects already keep — the
account pool, the database — is read at scrape time from their ``statistics()``
snapshots by a custom collector, so nothing here reaches into their internals and
nothing goes stale.

Label values are bounded by construction: routes are route templates (or
``unmatched``), tools are registered tool names, outcomes and reasons come from
fixed vocabularies. No label ever carries a peer, a user id or any content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "DatabaseSnapshot", "Metrics", "PoolSnapshot"]

#: The Prometheus text exposition format, version 0.0.4 (what every scraper accepts).
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

#: Tool-call duration buckets: a cached read takes milliseconds, a send up to the call timeout.
TOOL_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: A label value from a code-defined vocabulary (login outcomes, auth reasons); anything else is ``other``.
_WORD: Final = re.compile(r"[a-z][a-z0-9_:]{0,47}")


class PoolSnapshot(Protocol):
    """What ``AccountPool.statistics()`` returns (read structurally; no import of the pool)."""

    @property
    def accounts(self) -> int: ...
    @property
    def ready(self) -> int: ...
    @property
    def by_state(self) -> Mapping[str, int]: ...


class DatabaseSnapshot(Protocol):
    """What ``Database.statistics()`` returns."""

    @property
    def writes(self) -> int: ...
    @property
    def reads(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def queue_length(self) -> int: ...


class SessionSnapshot(Protocol):
    """What ``SessionGuard.statistics()`` returns (read structurally)."""

    @property
    def open(self) -> int: ...
    @property
    def largest_share(self) -> int: ...


class _SessionCollector(Collector):
    def __init__(self, sessions: Callable[[], SessionSnapshot]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[Metric]:
        snapshot = self._sessions()
        yield GaugeMetricFamily("mctltg_mcp_sessions", "MCP sessions open now", value=snapshot.open)
        yield GaugeMetricFamily(
            "mctltg_mcp_sessions_largest_share",
            "MCP sessions held by the identity that holds the most",
            value=snapshot.largest_share,
        )


class _SnapshotCollector(Collector):
    """Turns the pool's and the database's snapshots into metric families at scrape time."""

    def __init__(
        self,
        pool: Callable[[], PoolSnapshot] | None,
        database: Callable[[], DatabaseSnapshot] | None,
    ) -> None:
        self._pool = pool
        self._database = database

    def collect(self) -> Iterator[Metric]:
        if self._pool is not None:
            pool = self._pool()
            yield GaugeMetricFamily(
                "mctltg_accounts_connected",
                "Telegram accounts whose connection is ready",
                value=pool.ready,
            )
            by_state = GaugeMetricFamily(
                "mctltg_accounts", "Telegram accounts the pool supervises, by state", labels=["state"]
            )
            for state, count in sorted(pool.by_state.items()):
                by_state.add_metric([state], count)
            yield by_state
        if self._database is not None:
            database = self._database()
            for name, value, documentation in (
                ("mctltg_database_writes", database.writes, "Write transactions committed"),
                ("mctltg_database_reads", database.reads, "Reads completed"),
                ("mctltg_database_failures", database.failures, "Reads and writes that raised"),
            ):
                yield CounterMetricFamily(name, documentation, value=value)
            yield GaugeMetricFamily(
                "mctltg_database_queue_length",
                "Jobs waiting for the database writer thread",
                value=database.queue_length,
            )


class Metrics:
    """One server's metrics: counters it is told about, and snapshots it reads when scraped.

    Args:
        pool: returns the account pool's statistics (``AccountPool.statistics``).
        database: returns the database's statistics (``Database.statistics``).
        version: the running version, exposed as ``mctltg_build_info{version}``.
    """

    def __init__(
        self,
        *,
        pool: Callable[[], PoolSnapshot] | None = None,
        database: Callable[[], DatabaseSnapshot] | None = None,
        version: str = "",
    ) -> None:
        self._session_collector: _SessionCollector | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._http = Counter(
            "mctltg_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self._tool_calls = Counter(
            "mctltg_tool_calls",
            "MCP tool calls, by tool and outcome (ok, draft, rate_limited, error:<kind>)",
            ["tool", "outcome"],
            registry=registry,
        )
        self._tool_seconds = Histogram(
            "mctltg_tool_call_duration_seconds",
            "Time from a tool call's start to its result, by tool",
            ["tool"],
            buckets=TOOL_BUCKETS,
            registry=registry,
        )
        self._auth_failures = Counter(
            "mctltg_auth_failures",
            "Requests refused for missing or bad credentials, by reason",
            ["reason"],
            registry=registry,
        )
        self._flood_waits = Counter(
            "mctltg_telegram_flood_wait_events",
            "FLOOD_WAIT answers from Telegram that reached a caller, by tool",
            ["tool"],
            registry=registry,
        )
        self._logins = Counter(
            "mctltg_login_attempts",
            "Telegram login steps finished, by outcome",
            ["outcome"],
            registry=registry,
        )
        info = Gauge("mctltg_build_info", "The running version", ["version"], registry=registry)
        info.labels(version or "unknown").set(1)
        if pool is not None or database is not None:
            registry.register(_SnapshotCollector(pool, database))

    def watch_mcp_sessions(self, sessions: Callable[[], SessionSnapshot]) -> None:
        """Expose the MCP session counts, read from ``sessions`` at scrape time.

        The newest MCP app wins: tests build several apps over one set of services, and
        only the one serving answers for the gauges.
        """
        previous = self._session_collector
        if previous is not None:
            self.registry.unregister(previous)
        self._session_collector = _SessionCollector(sessions)
        self.registry.register(self._session_collector)

    def http_request(self, *, method: str, route: str, status: int | None) -> None:
        """Count one answered HTTP request (``status`` None: the client left before an answer)."""
        self._http.labels(method, route, "none" if status is None else str(status)).inc()

    def observe_tool_call(self, *, tool: str, outcome: str, seconds: float) -> None:
        """Count one tool call and record how long it took.

        An ``error:flood_wait`` outcome (the catalogue's kind for ``FloodWait``, raised or
        reported in the result) also counts as a FLOOD_WAIT event for ``tool``.
        """
        self._tool_calls.labels(tool, _word(outcome)).inc()
        self._tool_seconds.labels(tool).observe(seconds)
        if outcome == "error:flood_wait":
            self.flood_wait(tool=tool)

    def flood_wait(self, *, tool: str) -> None:
        """Count one FLOOD_WAIT that Telegram answered and a caller saw."""
        self._flood_waits.labels(tool).inc()

    def auth_failure(self, reason: str) -> None:
        """Count one refused credential: ``no_token``, ``invalid_token``, ``insufficient_scope``, …"""
        self._auth_failures.labels(_word(reason)).inc()

    def login_attempt(self, outcome: str) -> None:
        """Count one finished login: ``success`` or the failure's reason (``wrong_code``, …)."""
        self._logins.labels(_word(outcome)).inc()

    def render(self) -> bytes:
        """The whole registry in the Prometheus text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """One sample's current value (``name`` with its ``_total``/``_count`` suffix), or None."""
        return self.registry.get_sample_value(name, dict(labels or {}))


def _word(value: str) -> str:
    return value if _WORD.fullmatch(value) else "other"
