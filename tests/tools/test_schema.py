"""Lean schemas mean exactly what the SDK's generated ones mean."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from mctltg.tools.schema import lean_output_schema, lean_schema


class _Item(BaseModel):
    id: int
    note: str | None = None


class _Out(BaseModel):
    items: list[_Item]
    kind: Literal["a", "b"] | None = None
    sent: bool | None
    count: Annotated[int, Field(ge=1, le=5)] = 1


def test_a_lean_schema_keeps_types_bounds_and_required_fields() -> None:
    schema = lean_schema(TypeAdapter(_Out).json_schema())
    assert schema["required"] == ["items", "sent"]
    assert schema["properties"]["count"] == {"default": 1, "maximum": 5, "minimum": 1, "type": "integer"}
    assert schema["properties"]["sent"] == {"type": ["boolean", "null"]}
    # an enum that may be null keeps null as a branch (the enum itself does not allow it)
    assert {"type": "null"} in schema["properties"]["kind"]["anyOf"]
    assert schema["properties"]["items"]["items"]["required"] == ["id"]
    assert "$defs" not in schema  # a model used once is written in place


def test_an_output_field_that_is_left_out_when_empty_is_never_null_but_a_required_one_may_be() -> None:
    schema = lean_output_schema(_Out)
    assert schema["properties"]["items"]["items"]["properties"]["note"] == {"type": "string"}
    assert schema["properties"]["sent"] == {"type": ["boolean", "null"]}
    assert schema["properties"]["kind"] == {"enum": ["a", "b"], "type": "string"}


def test_a_model_used_twice_is_defined_once() -> None:
    class Pair(BaseModel):
        left: _Item
        right: _Item

    schema = lean_schema(TypeAdapter(Pair).json_schema())
    assert schema["properties"]["left"] == {"$ref": "#/$defs/_Item"}
    assert "title" not in schema["$defs"]["_Item"]
