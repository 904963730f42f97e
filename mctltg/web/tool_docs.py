"""The tool catalogue that ``/docs`` shows, read from the live MCP tool registry.

``/docs`` never lists tools from a hand-written table: the composition root hands the
web app a function returning the registered tools (``MCPServer.list_tools``, narrowed
by ``MCP_TOOL_FILTER`` exactly as ``tools/list`` narrows them), and this module turns
each into plain values for the template: name, title, description, the JSON-Schema
inputs in words, the MCP annotations, and the OAuth scope the tool requires (its
``mctltg/scope`` metadata). Pure: no I/O, no framework.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mcp_types import Tool

__all__ = ["ListTools", "ToolDoc", "ToolInput", "tool_docs"]

#: Returns the tools this deployment serves (the live registry).
ListTools = Callable[[], Awaitable[Sequence[Tool]]]

#: Each hint, its words, and the value MCP gives it when a tool leaves it out (the server
#: sends only values that differ). Destructive and idempotent mean something only for writes.
_HINTS: Final = (
    ("read_only_hint", "read-only", "changes something", False),
    ("destructive_hint", "destructive", "not destructive", True),
    ("idempotent_hint", "idempotent", "not idempotent", False),
    ("open_world_hint", "talks to Telegram", "stays on this server", True),
)
_WRITE_ONLY_HINTS: Final = frozenset({"destructive_hint", "idempotent_hint"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInput:
    name: str
    kind: str
    required: bool
    description: str
    details: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolDoc:
    name: str
    title: str
    description: str
    scope: str | None
    setting: str | None
    annotations: tuple[str, ...]
    read_only: bool
    inputs: tuple[ToolInput, ...]


def _kind(schema: Mapping[str, Any]) -> tuple[str, bool]:
    """The type in words, and whether null is allowed."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        kinds = [_kind(option)[0] for option in options if option.get("type") != "null"]
        nullable = any(option.get("type") == "null" for option in options)
        return " or ".join(kinds) or "null", nullable
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        inner = _kind(items)[0] if isinstance(items, Mapping) else "value"
        return f"list of {inner}", False
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind if k != "null"), "null" in kind
    return str(kind or "value"), False


def _details(schema: Mapping[str, Any]) -> str:
    parts: list[str] = []
    sources = [schema, *(o for o in schema.get("anyOf", []) if isinstance(o, Mapping))]
    for source in sources:
        if "enum" in source:
            parts.append("one of " + ", ".join(str(value) for value in source["enum"]))
        for key, label in (
            ("minimum", "at least"),
            ("maximum", "at most"),
            ("minLength", "at least {} characters"),
            ("maxLength", "at most {} characters"),
            ("maxItems", "at most {} items"),
            ("pattern", "matching {}"),
        ):
            if key in source:
                parts.append(label.format(source[key]) if "{}" in label else f"{label} {source[key]}")
    if "default" in schema and schema["default"] is not None:
        parts.append(f"default {schema['default']!r}")
    return "; ".join(parts)


def _inputs(schema: Mapping[str, Any]) -> tuple[ToolInput, ...]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    inputs = []
    for name, prop in properties.items():
        if not isinstance(prop, Mapping):
            continue
        kind, _ = _kind(prop)
        inputs.append(
            ToolInput(
                name=name,
                kind=kind,
                required=name in required,
                description=str(prop.get("description") or ""),
                details=_details(prop),
            )
        )
    return tuple(inputs)


def _annotations(tool: Tool) -> tuple[str, ...]:
    annotations = tool.annotations
    if annotations is None:
        return ()
    read_only = annotations.read_only_hint is True
    words = []
    for attribute, yes, no, default in _HINTS:
        if read_only and attribute in _WRITE_ONLY_HINTS:
            continue
        value = getattr(annotations, attribute, None)
        words.append(yes if (default if value is None else value) else no)
    return tuple(words)


def tool_docs(tools: Sequence[Tool]) -> list[ToolDoc]:
    """The catalogue entries for ``tools``, sorted by name."""
    docs = []
    for tool in tools:
        meta = tool.meta or {}
        scope = meta.get("mctltg/scope")
        setting = meta.get("mctltg/setting")
        annotations = tool.annotations
        docs.append(
            ToolDoc(
                name=tool.name,
                title=(tool.title or (annotations.title if annotations else None) or tool.name),
                description=tool.description or "",
                scope=scope if isinstance(scope, str) else None,
                setting=setting if isinstance(setting, str) else None,
                annotations=_annotations(tool),
                read_only=bool(annotations and annotations.read_only_hint),
                inputs=_inputs(tool.input_schema or {}),
            )
        )
    return sorted(docs, key=lambda doc: doc.name)
