"""The OAuth pages a person sees: the consent page names where the browser goes, unambiguously;
and the seam to the Telegram connect wizard: after consent, a person without a Telegram account is
sent to the wizard, and the authorization waits server-side until the wizard hands back."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from mctltg.oauth.admission import AUTHORIZATIONS_PER_WINDOW, REGISTRATIONS_PER_HOUR
from mctltg.oauth.rfc7636 import s256
from mctltg.sandbox import SandboxWorld
from mctltg.web import create_web_app
from mctltg.web.oauth_endpoints import CONTINUE_PATH, COOKIE, oauth_blueprint, pending_continuation
from mctltg.web.signin import HANDOFF_PATH
from tests.harness.oauth import BASE, CLIENT_ID, REDIRECT, VERIFIER, Harness, query_of, register
from tests.harness.oidc import Browser, start_oauth_server

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


async def _ready() -> None:
    return None


async def test_consent_without_a_telegram_account_detours_through_the_wizard_and_resumes(
    harness: Harness,
) -> None:
    server = harness.parts.server

    async def has_account(identity_id: int) -> bool:
        return False

    blueprint = oauth_blueprint(
        server=server,
        oidc=harness.parts.oidc,
        protected_resource_paths=(),
        protected_resource_document={},
        secure_cookies=False,
        connect_path="/telegram/connect",
        has_account=has_account,
    )
    app = create_web_app(readiness=_ready, blueprints=[blueprint])
    pending = await server.begin(
        {
            "response_type": ["code"],
            "client_id": [harness.client_id],
            "redirect_uri": [REDIRECT],
            "state": ["st"],
            "code_challenge": [s256(VERIFIER)],
            "code_challenge_method": ["S256"],
        }
    )
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.signed_in(authorization, telegram_user_id=CLIENT_ID, display_name="Test")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, cookies={COOKIE: pending.browser_token}
    ) as browser:
        page = await browser.get("/oauth/consent")
        assert page.status_code == 200
        assert "Harness" in page.text
        assert "127.0.0.1:9" in page.text
        assert "script" not in page.text.lower()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        decided = await browser.post(
            "/oauth/consent", data={"csrf": csrf.group(1), "decision": "approve", "access": "read"}
        )
        assert decided.status_code == 303
        assert decided.headers["location"] == "/telegram/connect"
        # The wizard, when done, asks where this browser continues; the request itself never left the server.
        assert await pending_continuation(server, pending.browser_token) == CONTINUE_PATH
        resumed = await browser.get(CONTINUE_PATH)
    assert resumed.status_code == 303
    back = query_of(resumed.headers["location"])
    assert resumed.headers["location"].startswith(REDIRECT)
    assert back["state"] == "st"
    assert back["code"]
    tokens = await harness.exchange(back["code"])
    assert tokens.json()["scope"] == "telegram:dialogs:read telegram:messages:read account:manage"


async def test_a_consent_post_without_the_pages_csrf_token_is_refused(harness: Harness) -> None:
    pending = await harness.parts.server.begin(
        {
            "response_type": ["code"],
            "client_id": [harness.client_id],
            "redirect_uri": [REDIRECT],
            "code_challenge": [s256(VERIFIER)],
            "code_challenge_method": ["S256"],
        }
    )
    authorization = await harness.parts.server.pending(pending.browser_token)
    assert authorization is not None
    await harness.parts.server.signed_in(authorization, telegram_user_id=CLIENT_ID, display_name="Test")
    harness.http.cookies.set(COOKIE, pending.browser_token)
    response = await harness.http.post("/oauth/consent", data={"csrf": "forged", "decision": "approve"})
    assert response.status_code == 400
    assert "location" not in response.headers
    still_waiting = await harness.http.get("/oauth/consent")  # same cookie: only the token was wrong
    assert still_waiting.status_code == 200


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


# -- any standard OIDC provider, and failures told to the client ------------------------------


def _authorize_url(base_url: str, client_id: str, *, state: str = "client-state") -> str:
    return f"{base_url}/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": state,
            "code_challenge": s256(VERIFIER),
            "code_challenge_method": "S256",
        }
    )


@pytest.mark.slow
async def test_a_person_whose_sub_is_not_a_number_signs_in_at_a_generic_provider(
    tmp_path: Path, world: SandboxWorld
) -> None:
    async with (
        start_oauth_server(tmp_path, world, flavour="generic") as server,
        httpx.AsyncClient() as http,
    ):
        client_id = await register(http, server.base_url, REDIRECT)
        landed = await Browser(http).authorize(
            _authorize_url(server.base_url, client_id), telegram_id="johndoe", stop_at=REDIRECT, access="read"
        )
        params = query_of(landed)
        assert (params["state"], params["iss"]) == ("client-state", server.base_url)
        token = await http.post(
            server.base_url + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "code_verifier": VERIFIER,
            },
        )
        assert token.status_code == 200, token.text
        issuer = server.services.settings.oidc_issuer
        identity = await server.services.identities.by_subject(f"{issuer}#johndoe")
        assert identity is not None
        assert (identity.telegram_user_id, identity.display_name) == (None, "Test user johndoe")
        assert await server.services.identities.by_subject("tg:johndoe") is None


@pytest.mark.slow
async def test_a_generic_issuers_admin_and_client_lists_name_its_subjects(
    tmp_path: Path, world: SandboxWorld
) -> None:
    async with start_oauth_server(
        tmp_path, world, flavour="generic", OIDC_ADMIN_SUBJECTS="root", OIDC_CLIENT_SUBJECTS="johndoe"
    ) as server:
        pages = {}
        for person in ("root", "johndoe", "janedoe"):
            async with httpx.AsyncClient() as http:
                client_id = await register(http, server.base_url, REDIRECT)
                pages[person] = await Browser(http).consent_page(
                    _authorize_url(server.base_url, client_id), telegram_id=person
                )
        assert "approve or refuse other people" in pages["root"]  # admin:users, the admin tier only
        assert "send messages as you" in pages["johndoe"]
        assert "approve or refuse other people" not in pages["johndoe"]
        assert "not approved on this server yet" in pages["janedoe"]


@pytest.mark.slow
async def test_every_failure_after_the_redirect_uri_is_known_reaches_the_client_with_state_and_iss(
    tmp_path: Path, world: SandboxWorld
) -> None:
    async with (
        start_oauth_server(tmp_path, world, flavour="generic") as server,
        httpx.AsyncClient() as http,
    ):
        client_id = await register(http, server.base_url, REDIRECT)
        callback = server.base_url + "/oauth/telegram/callback"

        async def upstream_state(state: str) -> str:
            started = await http.get(_authorize_url(server.base_url, client_id, state=state))
            assert started.status_code == 302, started.text
            return query_of(started.headers["location"])["state"]

        def told(response: httpx.Response, state: str) -> dict[str, str]:
            assert response.status_code == 303, response.text
            location = response.headers["location"]
            assert location.startswith(REDIRECT + "?"), location
            params = query_of(location)
            assert (params["state"], params["iss"]) == (state, server.base_url)
            return params

        # The person cancels (or is refused) at the provider.
        landed = await Browser(http).authorize(
            _authorize_url(server.base_url, client_id, state="cancelled"), telegram_id="", stop_at=REDIRECT
        )
        assert query_of(landed)["error"] == "access_denied"
        assert query_of(landed)["state"] == "cancelled"
        assert query_of(landed)["iss"] == server.base_url
        # The provider's state does not match this browser's authorization.
        await upstream_state("bad-state")
        refused = told(await http.get(callback, params={"state": "forged", "code": "x"}), "bad-state")
        assert refused["error"] == "access_denied"
        # The provider refuses the code at its token endpoint.
        state = await upstream_state("bad-code")
        refused = told(await http.get(callback, params={"state": state, "code": "not-a-code"}), "bad-code")
        assert refused["error"] == "access_denied"
        assert "refused" in refused["error_description"]
        # Each authorization ended with its error: the same callback again has no client to tell.
        again = await http.get(callback, params={"state": state, "code": "not-a-code"})
        assert again.status_code == 400
        assert "This sign-in expired" in again.text
