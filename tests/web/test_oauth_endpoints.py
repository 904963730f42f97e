"""The OAuth pages a person sees: the consent page names where the browser goes, unambiguously."""

from __future__ import annotations

import pytest

from mctltg.oauth.admission import AUTHORIZATIONS_PER_WINDOW, REGISTRATIONS_PER_HOUR
from mctltg.oauth.rfc7636 import s256
from mctltg.web.signin import HANDOFF_PATH
from tests.e2e.oauth_support import query_of
from tests.oauth.conftest import CLIENT_ID, REDIRECT, VERIFIER, Harness
from tests.oauth.conftest import harness as harness  # the fixture

LOOKALIKE = "https://cl\u0430ude.ai/api/mcp/auth_callback"  # a Cyrillic "а" in "claude"
PUNYCODE = "xn--clude-5ve.ai"


async def _consent_page(h: Harness, redirect_uri: str) -> tuple[str, str]:
    registered = await h.http.post(
        "/oauth/register", json={"client_name": "Claude", "redirect_uris": [redirect_uri]}
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    server = h.parts.server
    pending = await server.begin(
        {
            "response_type": ["code"],
            "client_id": [client_id],
            "redirect_uri": [redirect_uri],
            "code_challenge": [s256(VERIFIER)],
            "code_challenge_method": ["S256"],
        }
    )
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.signed_in(authorization, telegram_user_id=7002, display_name="Test")
    page = await h.http.get(
        "/oauth/consent", headers={"Cookie": f"mctltg_authorization={pending.browser_token}"}
    )
    assert page.status_code == 200, page.text
    return page.text, page.headers["content-security-policy"]


async def test_a_non_ascii_redirect_host_is_shown_as_punycode_and_said_so(harness: Harness) -> None:
    text, csp = await _consent_page(harness, LOOKALIKE)
    assert "cl\u0430ude.ai" not in text
    assert PUNYCODE in text
    assert "punycode" in text
    assert f"form-action 'self' https://{PUNYCODE}" in csp
    assert "\u0430" not in csp


async def test_an_ascii_redirect_host_is_shown_plainly(harness: Harness) -> None:
    text, csp = await _consent_page(harness, "https://claude.ai/api/mcp/auth_callback")
    assert "<strong>claude.ai</strong>" in text
    assert "punycode" not in text
    assert "form-action 'self' https://claude.ai" in csp


async def _decide(h: Harness, telegram_id: int) -> str:
    server = h.parts.server
    pending = await server.begin(
        {
            "response_type": ["code"],
            "client_id": [h.client_id],
            "redirect_uri": [REDIRECT],
            "code_challenge": [s256(VERIFIER)],
            "code_challenge_method": ["S256"],
        }
    )
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.signed_in(authorization, telegram_user_id=telegram_id, display_name="Someone")
    decided = await h.http.post(
        "/oauth/consent",
        data={"csrf": authorization.csrf, "decision": "approve", "access": "read"},
        headers={"Cookie": f"mctltg_authorization={pending.browser_token}"},
    )
    assert decided.status_code == 303, decided.text
    return decided.headers["location"]


async def test_an_unapproved_person_is_not_sent_to_connect_telegram_after_consent(harness: Harness) -> None:
    assert (await _decide(harness, 7003)).startswith(REDIRECT + "?code=")


async def test_an_approved_person_without_an_account_is_sent_to_connect_telegram(harness: Harness) -> None:
    assert await _decide(harness, CLIENT_ID) == HANDOFF_PATH


async def test_registrations_from_one_address_are_rate_limited_with_a_time_to_retry(harness: Harness) -> None:
    h = harness
    answers = [
        await h.http.post("/oauth/register", json={"client_name": f"c{n}", "redirect_uris": [REDIRECT]})
        for n in range(REGISTRATIONS_PER_HOUR + 1)
    ]
    assert all(answer.status_code == 201 for answer in answers[: REGISTRATIONS_PER_HOUR - 1])
    refused = answers[-1]
    assert refused.status_code == 429
    assert "try again in" in refused.json()["error_description"]
    assert int(refused.headers["retry-after"]) > 0


async def test_authorizations_parked_from_one_address_are_rate_limited(harness: Harness) -> None:
    h = harness
    params = {
        "response_type": "code",
        "client_id": h.client_id,
        "redirect_uri": REDIRECT,
        "state": "s" * 4000,
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    answers = [
        await h.http.get("/oauth/authorize", params=params) for _ in range(AUTHORIZATIONS_PER_WINDOW + 1)
    ]
    last = answers[-1]
    assert last.status_code == 302
    assert last.headers["location"].startswith(REDIRECT + "?error=temporarily_unavailable")
    assert "Too many sign-ins" in query_of(last.headers["location"])["error_description"]


async def test_the_consent_page_offers_three_levels_with_read_only_chosen(harness: Harness) -> None:
    text, _ = await _consent_page(harness, "https://claude.ai/api/mcp/auth_callback")
    assert 'value="read" checked' in text
    assert 'value="draft"' in text
    assert 'value="send"' in text
    assert "Read and draft" in text
    assert "save drafts in your chats" in text


@pytest.mark.parametrize(
    ("access", "granted"),
    [
        ("read", {"telegram:dialogs:read", "telegram:messages:read", "account:manage"}),
        (
            "draft",
            {"telegram:dialogs:read", "telegram:messages:read", "account:manage", "telegram:drafts:write"},
        ),
        (
            "send",
            {
                "telegram:dialogs:read",
                "telegram:messages:read",
                "account:manage",
                "telegram:drafts:write",
                "telegram:messages:send",
                "telegram:messages:pin",
            },
        ),
        ("everything", {"telegram:dialogs:read", "telegram:messages:read", "account:manage"}),
    ],
)
async def test_each_consent_level_grants_exactly_its_scopes(
    harness: Harness, access: str, granted: set[str]
) -> None:
    server = harness.parts.server
    pending = await server.begin(
        {
            "response_type": ["code"],
            "client_id": [harness.client_id],
            "redirect_uri": [REDIRECT],
            "code_challenge": [s256(VERIFIER)],
            "code_challenge_method": ["S256"],
        }
    )
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.signed_in(authorization, telegram_user_id=CLIENT_ID, display_name="Someone")
    decided = await harness.http.post(
        "/oauth/consent",
        data={"csrf": authorization.csrf, "decision": "approve", "access": access},
        headers={"Cookie": f"mctltg_authorization={pending.browser_token}"},
    )
    assert decided.status_code == 303, decided.text
    approved = await server.pending(pending.browser_token)
    assert approved is not None
    assert set((approved.granted_scope or "").split()) == granted
