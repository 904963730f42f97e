"""Lean JSON schemas for tool inputs and outputs, generated from the declarations.

Every byte of ``tools/list`` sits in front of a model on every turn, so the schemas say
exactly what the SDK's would (types, bounds, required fields, descriptions, nullability)
without its noise: no generated ``title`` on every field and model, ``anyOf [T, null]``
written as ``type: [T, "null"]``, no ``default: null``, single-use ``$defs`` inlined.
Pure functions.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["lean_input_schema", "lean_output_schema", "lean_schema"]

_NOISE = frozenset({"title"})


def lean_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The SDK's argument schema, lean."""
    return lean_schema(schema)


def lean_output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s serialisation schema (field aliases as emitted), lean.

    Results leave an absent value out rather than writing ``null`` (``tools/render*.py``),
    so an optional field's schema is its type alone; a required field keeps ``null``
    when it may be null (``send_message``'s ``sent`` when delivery is unknown). Field
    descriptions stay in the code: what a model needs to read a result is in the tool's
    description and the result's own ``notice``, so the published output schema carries
    types, enums and required fields only.
    """
    schema = lean_schema(model.model_json_schema(by_alias=True, mode="serialization"))
    lean: dict[str, Any] = _absent_not_null(_without_descriptions(schema))
    return lean


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_descriptions(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _without_descriptions(body) for name, body in value.items()}
        elif key != "description":
            out[key] = _without_descriptions(value)
    return out


def _absent_not_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_absent_not_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _absent_not_null(value) for key, value in node.items()}
    properties = out.get("properties")
    if isinstance(properties, dict):
        required = set(out.get("required", ()))
        out["properties"] = {
            name: body if name in required else _without_null(body) for name, body in properties.items()
        }
    return out


def _without_null(body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [k for k in kind if k != "null"]
        return {**body, "type": rest[0] if len(rest) == 1 else rest}
    branches = body.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        rest_branches = [b for b in branches if b != {"type": "null"}]
        if len(rest_branches) == 1:
            others = {k: v for k, v in body.items() if k != "anyOf"}
            return {**rest_branches[0], **others}
        return {**body, "anyOf": rest_branches}
    return body


def lean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without titles, null-defaults and single-use ``$defs``; same meaning."""
    definitions = schema.get("$defs", {})
    uses: dict[str, int] = {}
    _count_refs(schema, uses)
    inline = {name for name in definitions if uses.get(name, 0) <= 1}
    lean = _walk(schema, definitions, inline)
    kept = {
        name: _walk(body, definitions, inline) for name, body in definitions.items() if name not in inline
    }
    lean.pop("$defs", None)
    if kept:
        lean["$defs"] = kept
    return lean


def _count_refs(node: Any, uses: dict[str, int]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            uses[name] = uses.get(name, 0) + 1
        for value in node.values():
            _count_refs(value, uses)
    elif isinstance(node, list):
        for value in node:
            _count_refs(value, uses)


def _walk(node: dict[str, Any], definitions: dict[str, Any], inline: set[str]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.removeprefix("#/$defs/") in inline:
        target = definitions[ref.removeprefix("#/$defs/")]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _walk(merged, definitions, inline)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NOISE or key == "$defs" or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _walk(body, definitions, inline) for name, body in value.items()}
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [_walk(branch, definitions, inline) for branch in value]
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _walk(value, definitions, inline)
        else:
            out[key] = value
    return _nullable(out)


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [{type: T, ...}, {type: null}]`` as ``type: [T, "null"], ...``."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or {"type": "null"} not in branches:
        return node
    other = next(b for b in branches if b != {"type": "null"})
    kind = other.get("type")
    if not isinstance(kind, str) or {"$ref", "enum", "const"} & other.keys() or any(k in node for k in other):
        return node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    return {**other, "type": [kind, "null"], **rest}
