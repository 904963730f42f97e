"""``server.json`` for the MCP Registry, validated offline against its published schema.

The schema is ``tests/data/server.schema.2025-12-11.excerpt.json``: the Registry's
2025-12-11 schema with every constraint kept and the prose left out (its ``$comment``
names the source and the original's sha256).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from mctltg import __version__, cli
from mctltg.registry_json import SCHEMA_URL, package_server_json

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "data" / "server.schema.2025-12-11.excerpt.json").read_text())
VALIDATOR = Draft7Validator(SCHEMA)


def _problems(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_repositorys_server_json_describes_the_package_and_fits_the_registry_schema() -> None:
    committed = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    assert committed == package_server_json()  # regenerate it from mctltg.registry_json when this fails
    assert _problems(committed) == []
    assert committed["$schema"] == SCHEMA["$id"] == SCHEMA_URL
    assert committed["version"] == __version__
    (package,) = committed["packages"]
    assert (package["registryType"], package["identifier"]) == ("pypi", "mctltg")
    assert package["transport"]["type"] == "streamable-http"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"mcp-name: {committed['name']}" in readme  # how the Registry checks the PyPI package is ours


def test_registry_json_writes_a_deployments_streamable_http_remote_that_fits_the_schema(
    tmp_path: Path,
) -> None:
    target = tmp_path / "server.json"
    out = io.StringIO()
    code = cli.main(
        ["registry-json", "--public-url", "https://tg.example.com/", "--output", str(target)], stdout=out
    )
    written = json.loads(target.read_text(encoding="utf-8"))
    assert code == 0
    assert _problems(written) == []
    assert written["name"] == "com.example.tg/mctltg"
    assert written["remotes"] == [{"type": "streamable-http", "url": "https://tg.example.com/mcp"}]
    assert [icon["src"] for icon in written["icons"]] == [
        "https://tg.example.com/static/icon-192.png",
        "https://tg.example.com/static/favicon.svg",
    ]
    printed = io.StringIO()
    assert (
        cli.main(
            ["registry-json", "--public-url", "https://10.0.0.5", "--name", "org.acme/tg"], stdout=printed
        )
        == 0
    )
    assert json.loads(printed.getvalue())["name"] == "org.acme/tg"


def test_the_schema_refuses_what_the_registry_refuses() -> None:
    good = package_server_json()
    assert _problems({**good, "description": "x" * 101}) != []
    assert _problems({**good, "name": "no-slash"}) != []
    assert _problems({k: v for k, v in good.items() if k != "version"}) != []
    assert _problems({**good, "remotes": [{"type": "streamable-http", "url": "tg.example.com/mcp"}]}) != []


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--public-url", "http://tg.example.com"], "https URL"),
        (["--public-url", "https://203.0.113.7"], "pass --name"),
        (["--public-url", "https://tg.example.com", "--name", "just-a-name"], "namespace/server"),
    ],
)
def test_a_bad_deployment_address_or_name_is_one_sentence_and_exit_2(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["registry-json", *arguments], stdout=io.StringIO()) == 2
    error = capsys.readouterr().err
    assert complaint in error
    assert error.count("\n") == 1
    assert "Traceback" not in error
