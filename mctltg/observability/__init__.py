"""Logs, metrics and the request id; redaction lives in a filter, never at call sites.

``Metrics`` is imported from ``mctltg.observability.metrics`` (it pulls in the Prometheus
client, which commands such as ``keygen`` do not need).
"""

from mctltg.observability.logs import KeyValueFormatter, configure_logs
from mctltg.observability.redact import is_secret_field, scrub
from mctltg.observability.request_id import (
    RequestIdFilter,
    bind_request_id,
    current_request_id,
    request_id_from,
)

__all__ = [
    "KeyValueFormatter",
    "RequestIdFilter",
    "bind_request_id",
    "configure_logs",
    "current_request_id",
    "is_secret_field",
    "request_id_from",
    "scrub",
]
