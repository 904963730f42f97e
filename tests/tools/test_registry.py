"""The tool list: every tool declared once at top level, and lean enough to sit in front of a model."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from mcp import Client

from mctltg.app import Services, tool_deps
from mctltg.app.admin import worker_tokens
from mctltg.tools import TOOLS, build_mcp_server
from tests.harness.mcp_client import deps_for
from tests.harness.oauth import oauth_settings

#: What a client puts in front of a model for each tool, on average (issue 12, item 9).
MAX_AVERAGE_TOOL_BYTES = 1024  # "1 KB per tool", as issue 12 and scripts/bench count it
MAX_AVERAGE_MODEL_BYTES = 500


def _bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


async def test_tools_list_averages_at_most_1_kb_per_tool_and_500_b_for_what_the_model_reads(
    services: Services, tmp_path: Path
) -> None:
    # Worker tokens exist only where tokens are issued: give the operator's server an issuer's.
    workers = worker_tokens(
        oauth_settings(tmp_path),
        database=services.database,
        identities=services.identities,
        oauth=services.oauth,
        audit=None,
    )
    async with Client(build_mcp_server(deps_for(services, workers=workers))) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) == len(TOOLS)
    total = sum(_bytes(t.model_dump(mode="json", by_alias=True, exclude_none=True)) for t in tools)
    model = sum(
        _bytes({"name": t.name, "description": t.description, "inputSchema": t.input_schema}) for t in tools
    )
    assert total / len(tools) <= MAX_AVERAGE_TOOL_BYTES, total
    assert model / len(tools) <= MAX_AVERAGE_MODEL_BYTES, model


async def test_listed_schemas_carry_no_generated_titles_and_descriptions_no_source_indentation(
    services: Services,
) -> None:
    async with Client(build_mcp_server(tool_deps(services))) as client:
        tools = (await client.list_tools()).tools
    for listed in tools:
        assert _schema_keys(listed.input_schema) & {"title", "$ref"} == set(), listed.name
        assert "title" not in _schema_keys(listed.output_schema or {}), listed.name
        assert "\n    " not in (listed.description or ""), listed.name


def _schema_keys(node: Any) -> set[str]:
    """Every keyword used in a schema (property names are names, not keywords)."""
    if isinstance(node, list):
        return set().union(*(_schema_keys(item) for item in node))
    if not isinstance(node, dict):
        return set()
    keys = set(node)
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            keys |= set().union(*(_schema_keys(body) for body in value.values()))
        else:
            keys |= _schema_keys(value)
    return keys


def test_every_tool_is_a_top_level_function_declared_once() -> None:
    names = [declared.name for declared in TOOLS]
    assert len(names) == len(set(names))
    for declared in TOOLS:
        fn = declared.fn
        assert fn.__qualname__ == fn.__name__ == declared.name  # not nested in another function
        assert inspect.iscoroutinefunction(fn)
        assert next(iter(inspect.signature(fn).parameters)) == "ctx"
        assert getattr(inspect.getmodule(fn), declared.name) is declared
