"""Every module's ``__all__`` names things that exist, and only public ones."""

from __future__ import annotations

import importlib
import pkgutil

import mctltg

#: Modules that only the PyInstaller entry point or a CLI subcommand imports, with side effects.
SKIPPED = frozenset({"mctltg.__main__"})


def _modules() -> list[str]:
    names = [mctltg.__name__]
    for info in pkgutil.walk_packages(mctltg.__path__, prefix="mctltg."):
        if info.name not in SKIPPED:
            names.append(info.name)
    return names


def test_every_exported_name_is_importable_and_public() -> None:
    problems = []
    for name in _modules():
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            continue
        for item in exported:
            if item.startswith("_"):
                problems.append(f"{name} exports the private name {item}")
            elif not hasattr(module, item):
                problems.append(f"{name} exports {item}, which it does not define")
        if len(set(exported)) != len(exported):
            problems.append(f"{name} exports a name twice")
    assert problems == []


def test_the_package_has_modules_to_check() -> None:
    assert len(_modules()) > 50
