"""Arguments of the wrong type get one sentence naming the argument, like every other bad input."""

from __future__ import annotations

from typing import Any

import pytest

from mctltg.app import Services
from mctltg.sandbox import DemoWorld
from tests.harness.mcp_client import error_of, tools_for


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        (
            "list_dialogs",
            {"limit": "ten"},
            "limit: must be a whole number; got 'ten' (see the list_dialogs input schema)",
        ),
        (
            "list_dialogs",
            {"limit": 2.5},
            "limit: must be a whole number; got 2.5 (see the list_dialogs input schema)",
        ),
        ("get_messages", {}, "peer: is required (see the get_messages input schema)"),
        ("get_messages", {"peer": 42}, "peer: must be a string; got 42 (see the get_messages input schema)"),
        (
            "search_messages",
            {"query": ["a"]},
            "query: must be a string; got ['a'] (see the search_messages input schema)",
        ),
    ],
)
async def test_a_wrongly_typed_argument_is_one_sentence_naming_it(
    services: Services, demo: DemoWorld, tool: str, arguments: dict[str, Any], message: str
) -> None:
    async with tools_for(services, demo.me) as client:
        error = await error_of(client, tool, arguments)
    field = message.split(":")[0]
    assert error == {"error": "invalid_input", "field": field, "message": message, "sandbox": True}
