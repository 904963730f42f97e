"""Layers import only downward; asyncio and Telethon stay inside ``telegram/`` and ``sandbox/``.

An allowed target is a layer (``accounts``) or one module of it (``oauth.scopes``): tools
reach Telegram only through ``accounts`` (which hands out ``TelegramAccount``) and the
Telegram value types, never storage and never what runs on the asyncio thread.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mctltg"

#: What each layer may import from mctltg (besides the shared leaves below).
ALLOWED: dict[str, set[str]] = {
    "asgi": {"config"},
    "tools": {"accounts", "oauth.scopes", "telegram.model", "telegram.peers"},
    "web": {"accounts", "storage", "oauth"},
    "oauth": {"storage"},
    "accounts": {"telegram", "storage", "oauth.scopes"},
    "telegram": set(),
    "sandbox": set(),
    "storage": set(),
    "observability": set(),
}
LEAVES = {"errors", "config", "clock", "crypto", "observability", "outbound", "__init__"}
#: Leaf modules (usable by every layer) and the only parts of mctltg each of them may import.
LEAF_MODULES: dict[str, set[str]] = {"outbound.py": set()}
ASYNCIO_HOMES = {"telegram", "sandbox"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_each_layer_imports_only_what_it_may() -> None:
    problems = []
    for layer, allowed in ALLOWED.items():
        folder = PACKAGE / layer
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] != "mctltg" or len(parts) < 2:
                    continue
                if not _allowed(parts[1:], allowed | LEAVES | {layer}):
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert problems == []


def _allowed(parts: list[str], allowed: set[str]) -> bool:
    """Whether ``mctltg.<parts>`` lies in one of ``allowed`` (a layer or a dotted module)."""
    return any(parts[: len(entry.split("."))] == entry.split(".") for entry in allowed)


def test_only_the_telegram_package_reaches_what_runs_on_the_asyncio_thread() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "telegram":
            continue
        for name in _imports(path):
            if name.startswith("mctltg.telegram.on_loop"):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert problems == []


def test_asyncio_and_telethon_live_only_at_the_telegram_boundary() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer in ASYNCIO_HOMES:
            continue
        for name in _imports(path):
            if name.split(".")[0] in ("asyncio", "telethon", "aiosqlite", "trio_asyncio"):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert problems == []


def test_only_crypto_imports_pynacl_and_only_storage_imports_sqlite3() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        for name in _imports(path):
            root = name.split(".")[0]
            if root == "nacl" and relative.as_posix() != "crypto.py":
                problems.append(f"{relative} imports {name}")
            if root == "sqlite3" and relative.parts[0] != "storage":
                problems.append(f"{relative} imports {name}")
    assert problems == []


def test_leaf_modules_import_nothing_above_them() -> None:
    problems = []
    for module, allowed in LEAF_MODULES.items():
        path = PACKAGE / module
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "mctltg" and not _allowed(parts[1:], allowed):
                problems.append(f"{module} imports {name}")
    assert problems == []
