"""What a database leaves on disk, for the tests that prove a secret never reaches it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["disk_bytes"]


def disk_bytes(path: str) -> bytes:
    """Everything SQLite keeps on disk for the database at ``path`` (main file, WAL, journal)."""
    data = b""
    for suffix in ("", "-wal", "-journal"):
        file = Path(path + suffix)
        if file.exists():
            data += file.read_bytes()
    return data
