"""Access tiers and ``set_telegram_access``, through real tokens and the MCP SDK client."""

from __future__ import annotations

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld
from tests.harness.mcp_client import hint
from tests.harness.oauth import ADMIN_ID, CLIENT_ID, Harness, mcp_client

STRANGER = 7003


async def _token(harness: Harness, telegram_id: int) -> dict[str, str]:
    response = await harness.exchange(await harness.code(telegram_id=telegram_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_an_admin_gets_every_scope_and_a_client_everything_but_admin(harness: Harness) -> None:
    admin = await _token(harness, ADMIN_ID)
    client = await _token(harness, CLIENT_ID)
    assert "admin:users" in admin["scope"].split()
    assert "admin:users" not in client["scope"].split()
    assert "telegram:messages:send" in client["scope"].split()


async def test_someone_not_approved_signs_in_but_every_tool_says_why_it_cannot_help(harness: Harness) -> None:
    tokens = await _token(harness, STRANGER)
    assert tokens["scope"] == ""
    async with mcp_client(harness, tokens["access_token"]) as client:
        result = await client.call_tool("list_dialogs", {})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "permission_denied"
    assert "not approved on this server" in result.structured_content["message"]


async def test_a_signed_in_person_without_telegram_gets_a_clear_no_account_answer(harness: Harness) -> None:
    tokens = await _token(harness, CLIENT_ID)
    async with mcp_client(harness, tokens["access_token"]) as client:
        result = await client.call_tool("list_dialogs", {})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "no_account"


async def test_an_approved_person_with_a_sandbox_account_lists_dialogs(
    harness: Harness, demo: DemoWorld
) -> None:
    await provision_sandbox_account(harness.services, telegram_user_id=demo.me, subject=f"tg:{demo.me}")
    admin = await _token(harness, ADMIN_ID)
    async with mcp_client(harness, admin["access_token"]) as client:
        approved = await client.call_tool("set_telegram_access", {"telegram_id": demo.me, "tier": "client"})
    assert not approved.is_error, approved
    tokens = await _token(harness, demo.me)
    async with mcp_client(harness, tokens["access_token"]) as client:
        result = await client.call_tool("list_dialogs", {"limit": 3})
    assert not result.is_error, result
    assert result.structured_content is not None
    assert len(result.structured_content["dialogs"]) == 3


async def test_set_telegram_access_takes_effect_at_the_next_token_issue(harness: Harness) -> None:
    admin = await _token(harness, ADMIN_ID)
    before = await _token(harness, STRANGER)
    assert before["scope"] == ""
    async with mcp_client(harness, admin["access_token"]) as client:
        result = await client.call_tool("set_telegram_access", {"telegram_id": STRANGER, "tier": "client"})
    assert not result.is_error, result
    assert result.structured_content is not None
    assert result.structured_content["tier"] == "client"
    assert result.structured_content["identity"] == f"tg:{STRANGER}"
    after = await _token(harness, STRANGER)
    assert "telegram:dialogs:read" in after["scope"].split()
    # Refusing again strips the scopes at the next refresh, within the same grant.
    async with mcp_client(harness, admin["access_token"]) as client:
        refused = await client.call_tool(
            "set_telegram_access", {"identity": f"tg:{STRANGER}", "tier": "none"}
        )
    assert not refused.is_error, refused
    refreshed = await harness.refresh(after["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["scope"] == ""


async def test_explicit_scopes_replace_the_tier(harness: Harness) -> None:
    admin = await _token(harness, ADMIN_ID)
    async with mcp_client(harness, admin["access_token"]) as client:
        result = await client.call_tool(
            "set_telegram_access", {"telegram_id": STRANGER, "scopes": ["telegram:dialogs:read"]}
        )
    assert not result.is_error, result
    assert (await _token(harness, STRANGER))["scope"] == "telegram:dialogs:read"


async def test_set_telegram_access_without_admin_users_is_a_clear_scope_error(harness: Harness) -> None:
    client_tokens = await _token(harness, CLIENT_ID)
    async with mcp_client(harness, client_tokens["access_token"]) as client:
        result = await client.call_tool("set_telegram_access", {"telegram_id": STRANGER, "tier": "client"})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "permission_denied"
    assert "admin:users" in result.structured_content["message"]


async def test_set_telegram_access_refuses_bad_arguments_in_one_sentence(harness: Harness) -> None:
    admin = await _token(harness, ADMIN_ID)
    async with mcp_client(harness, admin["access_token"]) as client:
        both = await client.call_tool(
            "set_telegram_access",
            {"telegram_id": STRANGER, "tier": "client", "scopes": ["telegram:dialogs:read"]},
        )
        unknown = await client.call_tool("set_telegram_access", {"telegram_id": STRANGER, "scopes": ["root"]})
        operator = await client.call_tool("set_telegram_access", {"telegram_id": ADMIN_ID, "tier": "none"})
        listed = await client.list_tools()
    assert both.is_error
    assert unknown.is_error
    assert operator.is_error
    assert "TG_LOGIN_ADMINS" in str(operator.structured_content)
    tool = next(t for t in listed.tools if t.name == "set_telegram_access")
    assert hint(tool, "read_only_hint") is False
    assert tool.output_schema is not None
    assert "scopes" in tool.output_schema["properties"]


async def test_set_telegram_access_takes_no_boolean_or_string_for_a_telegram_id(harness: Harness) -> None:
    admin = await _token(harness, ADMIN_ID)
    async with mcp_client(harness, admin["access_token"]) as client:
        for wrong in (True, "7003", 7003.0):
            result = await client.call_tool("set_telegram_access", {"telegram_id": wrong, "tier": "client"})
            assert result.is_error, wrong
            assert "telegram_id" in str(result.content), wrong
    assert await harness.services.identities.by_subject("tg:1") is None
    assert await harness.services.identities.by_subject("tg:7003") is None
