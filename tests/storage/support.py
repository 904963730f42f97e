"""Helpers shared by the storage tests (not fixtures)."""

from __future__ import annotations

from pathlib import Path


class FakeClock:
    """Wall time that moves only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def disk_bytes(path: str) -> bytes:
    """Everything SQLite keeps on disk for the database at ``path`` (main file, WAL, journal)."""
    data = b""
    for suffix in ("", "-wal", "-journal"):
        file = Path(path + suffix)
        if file.exists():
            data += file.read_bytes()
    return data
