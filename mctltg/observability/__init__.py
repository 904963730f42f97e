"""Logs and (later) metrics; redaction lives in a filter, never at call sites."""

from mctltg.observability.logs import KeyValueFormatter, configure_logs
from mctltg.observability.redact import is_secret_field, scrub

__all__ = ["KeyValueFormatter", "configure_logs", "is_secret_field", "scrub"]
