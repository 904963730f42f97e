"""Property-based: whatever arguments a model sends, every tool answers with a result or one clear error.

Hypothesis draws arguments for each tool from its published input schema — values
of the declared type at and beyond their bounds, values of the wrong type, arbitrary
JSON, unexpected extra keys — and peer strings of every shape. The properties: the
call never raises; an error is ``{"error": <catalogued kind>, "message": <one line>}``
and never ``internal`` or a traceback; and the server still answers afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mctltg.errors import InvalidInput
from mctltg.telegram import parse_peer
from mctltg.tools.failures import ERROR_KINDS
from tests.harness.tool_host import ToolHost, host_tools

#: Every tool the server registers, minus the two that take no arguments and end the account.
FUZZED = [
    "list_dialogs",
    "get_unread_messages",
    "get_messages",
    "search_messages",
    "mark_read",
    "send_message",
    "pin_message",
    "get_my_send_status",
    "set_send_consent",
    "get_my_audit_log",
    "set_telegram_access",
    "edit_message",
    "delete_messages",
    "forward_messages",
    "set_reaction",
    "get_peer_info",
    "search_contacts",
    "get_my_identity",
    "get_message_context",
    "get_replies",
    "save_draft",
    "get_drafts",
    "get_scheduled_messages",
    "delete_scheduled_messages",
    "list_topics",
    "list_folders",
    "search",
    "fetch",
    "list_identities",
    "get_user_audit_log",
    "set_account_send",
    "revoke_telegram_session",
    "get_media",
    "set_shared_chats",
    "disconnect_telegram_account",
    "delete_telegram_account",
    "set_default_account",
    "send_media",
]
NO_ARGUMENTS = {"list_my_accounts"}
KINDS = {kind for _, kind in ERROR_KINDS}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
PEERS = st.one_of(
    st.sampled_from(["me", "ME ", "self", "saved", "@", "@a", "@abc", "@ada", "user:", "user:0", "chat:-1"]),
    st.builds(
        lambda kind, number: f"{kind}:{number}",
        st.sampled_from(["user", "chat", "channel", "User", "bot", "group"]),
        st.integers(min_value=-(2**70), max_value=2**70),
    ),
    st.from_regex(r"@[A-Za-z][A-Za-z0-9_]{0,40}", fullmatch=True),
    st.text(max_size=60),
)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _typed(schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    """Values of the declared type, near and past the published bounds."""
    options = schema.get("anyOf", [schema])
    types: set[Any] = set()
    for option in options:  # "type" is one name, or a list such as ["integer", "null"]
        kind = option.get("type")
        types.update(kind if isinstance(kind, list) else [kind])
    strategies: list[st.SearchStrategy[Any]] = [JSON]
    if "integer" in types:
        low, high = schema.get("minimum", 1), schema.get("maximum", 2**31)
        strategies += [st.integers(min_value=low - 2, max_value=high + 2), st.integers()]
    if "string" in types:
        strategies += [PEERS if "peer" in name else st.text(max_size=300)]
    if "boolean" in types:
        strategies.append(st.booleans())
    if "array" in types:
        strategies.append(st.lists(st.text(max_size=40), max_size=8))
    for option in options:
        if "enum" in option:
            strategies.append(st.sampled_from(option["enum"]))
    return st.one_of(strategies)


def _arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    chosen = {
        name: (_typed(prop, name) if name in required else st.none() | _typed(prop, name))
        for name, prop in properties.items()
    }
    base = st.fixed_dictionaries(chosen).map(lambda found: {k: v for k, v in found.items() if v is not None})
    extras = st.dictionaries(st.text(max_size=10), JSON, max_size=2)
    return st.builds(lambda known, more: {**more, **known}, base, extras) | st.dictionaries(
        st.sampled_from(sorted(properties) or ["x"]), JSON, max_size=4
    )


@pytest.fixture
def tools(tmp_path: Path) -> Iterator[ToolHost]:
    with host_tools(tmp_path) as host:
        yield host


def test_the_fuzzed_list_is_every_tool_that_takes_arguments(tools: ToolHost) -> None:
    schemas = tools.tool_names()
    assert set(schemas) == set(FUZZED) | NO_ARGUMENTS
    for name in NO_ARGUMENTS:
        assert not schemas[name].get("properties")


@pytest.mark.parametrize("tool", FUZZED)
def test_any_arguments_get_a_result_or_one_clear_error(tools: ToolHost, tool: str) -> None:
    schema = tools.input_schema(tool)

    @SETTINGS
    @given(arguments=_arguments(schema))
    def check(arguments: dict[str, Any]) -> None:
        result = tools.call(tool, arguments)
        payload = result.structured_content
        assert payload is not None, result.content
        if result.is_error:
            assert payload["error"] in KINDS, payload
            message = payload["message"]
            assert isinstance(message, str)
            assert message
            assert "\n" not in message
            assert "Traceback" not in message
            assert len(message) < 400
            assert result.content[0].text == message  # type: ignore[union-attr]
        assert not tools.call("get_my_send_status", {}).is_error

    check()


@settings(max_examples=500, deadline=None)
@given(text=PEERS | JSON)
def test_any_peer_text_parses_or_is_refused_with_the_accepted_forms(text: object) -> None:
    try:
        ref = parse_peer(text)
    except InvalidInput as refused:
        message = str(refused)
        assert message.startswith("peer: ")
        assert "user:<id>, chat:<id>, channel:<id>, @username or me" in message
        assert "\n" not in message
        assert len(message) < 600  # the echoed input is cut to 40 characters (escaped)
        return
    assert isinstance(text, str)
    assert ref.kind in ("self", "user", "chat", "channel", "username")


@given(
    kind=st.sampled_from(["user", "chat", "channel"]),
    number=st.integers(min_value=1, max_value=2**63 - 1),
    padding=st.sampled_from(["", " ", "\t", "  \n"]),
)
def test_every_canonical_peer_round_trips(kind: str, number: int, padding: str) -> None:
    ref = parse_peer(f"{padding}{kind}:{number}{padding}")
    assert (ref.kind, ref.id) == (kind, number)


@given(name=st.from_regex(r"[A-Za-z][A-Za-z0-9_]{3,31}", fullmatch=True))
def test_every_valid_username_parses_case_insensitively(name: str) -> None:
    assert parse_peer(f"@{name}").username == name.lower()
