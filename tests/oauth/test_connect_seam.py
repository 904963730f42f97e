"""The seam for the Telegram connect wizard: after consent, a person without a Telegram account
is sent to the wizard, and the authorization waits server-side until the wizard hands back."""

from __future__ import annotations

import re

import httpx

from mctltg.oauth.rfc7636 import s256
from mctltg.web import create_web_app
from mctltg.web.oauth_endpoints import CONTINUE_PATH, COOKIE, oauth_blueprint, pending_continuation
from tests.harness.oauth import BASE, CLIENT_ID, REDIRECT, VERIFIER, Harness, query_of


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
