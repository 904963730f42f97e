"""Settings: one schema table, parsed once at the edge into a frozen ``Settings``.

Three concepts, one module each: ``parsers`` (raw text → typed value, or one reason why
not), ``schema`` (the table: every variable once, with its parser, default and help) and
``settings`` (the frozen ``Settings``, ``load_settings`` and the boot guard).
"""

from mctltg.config.parsers import Secret, is_loopback_host, split_host_port
from mctltg.config.schema import SCHEMA, Setting
from mctltg.config.settings import Settings, load_settings, read_env_file

__all__ = [
    "SCHEMA",
    "Secret",
    "Setting",
    "Settings",
    "is_loopback_host",
    "load_settings",
    "read_env_file",
    "split_host_port",
]
