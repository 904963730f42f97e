"""SECURITY.md names a test for each invariant: every test it names exists.

A renamed or deleted test would otherwise leave an invariant claimed but unproved.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: `path/test_x.py::test_name`, or a bare `test_name` continuing the last named file.
_REFERENCE = re.compile(r"`(?:tests/)?((?:[\w]+/)*test_\w+\.py)(?:::(\w+))?`|`(test_\w+)`")


def _named_tests() -> list[tuple[str, str | None]]:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named: list[tuple[str, str | None]] = []
    current: str | None = None
    for match in _REFERENCE.finditer(text):
        if match.group(1):
            current = match.group(1)
            named.append((current, match.group(2)))
        elif current is not None:
            named.append((current, match.group(3)))
    return named


def test_security_md_names_tests() -> None:
    assert len(_named_tests()) > 50


def test_every_test_security_md_names_exists() -> None:
    missing = []
    for path, name in _named_tests():
        source = ROOT / "tests" / path
        if not source.is_file():
            missing.append(path)
        elif name is not None and not re.search(rf"def {name}\(", source.read_text(encoding="utf-8")):
            missing.append(f"{path}::{name}")
    assert missing == []
