"""The connect wizard over plain HTTP form posts (no JavaScript) and its WebSocket.

Every failure a person can meet is one sentence on the page with a way forward; double
submits, stale forms and reloads are harmless.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import pytest
import trio
from quart import Response
from trio_websocket import open_websocket_url

from mctltg.config import Settings
from mctltg.oauth.rfc7636 import s256
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld, seed_demo_world
from mctltg.web.session_cookie import SessionCodec
from tests.harness.mcp_client import error_of, over_http
from tests.harness.oauth import CLIENT_ID, REDIRECT, VERIFIER, Harness, query_of, register
from tests.harness.oidc import Browser, start_oauth_server
from tests.harness.site import Site, alert_of, csrf_of, login_id_of, open_site
from tests.harness.world import code_for, wrong_code

STRANGER = 7003

FORWARD = ("Try again with a QR code", "Try again with a phone number")


async def to_code_step(site: Site, phone: str, *, access: str = "read") -> str:
    """Sign in, choose permissions, give the phone number; returns the code page."""
    csrf = await site.csrf()
    await site.post("/telegram/connect/permissions", csrf=csrf, access=access)
    return (await site.post("/telegram/connect/phone", csrf=csrf, phone=phone)).text


async def test_a_phone_of_another_telegram_account_than_the_signed_in_one_is_one_sentence(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        services = site.server.services
        operator = await services.identities.ensure("operator")
        await services.identities.set_telegram_user(operator.id, demo.second)  # signed in as "second"
        html = await to_code_step(site, demo.me_phone)
        page = await site.post(
            "/telegram/connect/code",
            csrf=csrf_of(html),
            login_id=login_id_of(html),
            code=code_for(world, demo.me_phone),
        )
        assert alert_of(page.text) == (
            "This is a different Telegram account from the one you signed in with; log in with that account."
        )
        assert all(way in page.text for way in FORWARD)
        assert await services.accounts.for_identity(operator.id) is None


async def test_a_flood_wait_says_how_many_seconds_to_wait(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.flood_wait(420, request="auth.SendCodeRequest"))
    async with open_site(settings, world) as site:
        html = await to_code_step(site, demo.me_phone)
    assert alert_of(html) == (
        "Telegram asks to wait 420 s before another login attempt; start again after that."
    )
    assert all(way in html for way in FORWARD)


async def test_an_expired_code_is_one_sentence_with_a_way_forward(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.code_expiry_seconds = 0.0
    async with open_site(settings, world) as site:
        html = await to_code_step(site, demo.me_phone)
        page = await site.post(
            "/telegram/connect/code",
            csrf=csrf_of(html),
            login_id=login_id_of(html),
            code=code_for(world, demo.me_phone),
        )
    assert alert_of(page.text) == "The login code expired; start the login again to get a new code."
    assert all(way in page.text for way in FORWARD)


async def test_a_malformed_phone_number_is_one_sentence_and_starts_nothing(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        csrf = await site.csrf()
        await site.post("/telegram/connect/permissions", csrf=csrf, access="read")
        mark = world.mark()
        page = await site.post("/telegram/connect/phone", csrf=csrf, phone="0176 12345")
    assert page.status_code == 400
    assert alert_of(page.text) == (
        "The phone number must be an international number: + and country code, e.g. +14155550123."
    )
    assert "auth.SendCodeRequest" not in world.calls_since(mark)


async def test_a_code_submitted_twice_at_once_signs_in_once_and_both_pages_say_connected(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        html = await to_code_step(site, demo.me_phone)
        form = {"csrf": csrf_of(html), "login_id": login_id_of(html), "code": code_for(world, demo.me_phone)}
        mark = world.mark()
        pages: list[str] = []

        async def submit() -> None:
            pages.append((await site.post("/telegram/connect/code", **form)).text)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(submit)
            nursery.start_soon(submit)
        assert world.calls_since(mark).count("auth.SignInRequest") == 1
        assert all("Your Telegram account is connected" in page for page in pages)
        reloaded = await site.page("/telegram/connect")  # a reload after success
        assert "Your Telegram account is connected" in reloaded.text


async def test_a_form_left_from_an_older_login_changes_nothing(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        old = await to_code_step(site, demo.me_phone)
        new = (await site.post("/telegram/connect/phone", csrf=csrf_of(old), phone=demo.me_phone)).text
        assert login_id_of(new) != login_id_of(old)
        mark = world.mark()
        page = await site.post(
            "/telegram/connect/code",
            csrf=csrf_of(old),
            login_id=login_id_of(old),  # the back button's page
            code=code_for(world, demo.me_phone),
        )
        assert "auth.SignInRequest" not in world.calls_since(mark)
        assert login_id_of(page.text) == login_id_of(new)  # the page shows the current login


def _ws_url(site: Site) -> str:
    return "ws://" + urlsplit(site.server.base_url).netloc + "/telegram/connect/ws"


def _cookie_header(site: Site) -> tuple[bytes, bytes]:
    jar = "; ".join(f"{name}={value}" for name, value in site.http.cookies.items())
    return (b"Cookie", jar.encode())


async def test_the_websocket_tells_the_page_of_the_qr_code_and_of_the_scan(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        csrf = await site.csrf()
        page = (await site.post("/telegram/connect/permissions", csrf=csrf, access="send")).text
        assert "Scan the QR code" in page
        headers = [_cookie_header(site), (b"Origin", site.server.base_url.encode())]
        with trio.fail_after(30):
            async with open_websocket_url(_ws_url(site), extra_headers=headers) as socket:
                first = json.loads(await socket.get_message())
                assert first["step"] == "needs_qr_scan"
                assert first["qr_image"].startswith("data:image/svg+xml;base64,")
                assert f'data-login-url="{first["qr_url"]}"' in page
                text = first["qr_url"].removeprefix("tg://login?token=")
                world.accept_qr_login(
                    base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), user_id=demo.me
                )
                second = json.loads(await socket.get_message())
                assert second == {"step": "done"}
        done = await site.page("/telegram/connect")
        assert "Connected as <strong>Ada Lovelace</strong>" in done.text
        assert "Sending: <strong>on</strong>" in done.text  # the permissions choice, applied once


async def _handshake(site: Site, *, cookie: bool, origin: str | None) -> int:
    """A WebSocket opening handshake by hand; the HTTP status it gets (101 = accepted)."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    if origin is not None:
        headers["Origin"] = origin
    if not cookie:
        headers["Cookie"] = ""
    async with httpx.AsyncClient(base_url=site.server.base_url) as raw:
        if cookie:
            raw.cookies = site.http.cookies
        with trio.fail_after(10):
            async with raw.stream("GET", "/telegram/connect/ws", headers=headers) as response:
                return response.status_code


async def test_the_websocket_refuses_another_sites_page_and_a_missing_session(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await site.csrf()  # signed in
        assert await _handshake(site, cookie=True, origin="http://evil.example") == 403
        assert await _handshake(site, cookie=True, origin=None) == 403
        assert await _handshake(site, cookie=False, origin=site.server.base_url) == 403


async def test_a_wrong_code_then_the_right_one_connects_and_counts_down_attempts(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        html = await to_code_step(site, demo.me_phone)
        form = {"csrf": csrf_of(html), "login_id": login_id_of(html)}
        wrong = await site.post("/telegram/connect/code", **form, code=wrong_code(world, demo.me_phone))
        assert alert_of(wrong.text) == (
            "That login code is not right; check the code Telegram sent and enter it again. 2 attempts left."
        )
        right = await site.post("/telegram/connect/code", **form, code=code_for(world, demo.me_phone))
        assert "Your Telegram account is connected" in right.text
        assert "Sending: <strong>off (read only)</strong>" in right.text


async def test_the_websocket_sends_each_new_qr_code_telegram_issues(settings: Settings) -> None:
    # Telegram's clock runs 29 s behind: its first token is about to expire when issued.
    offset = [-29.0]
    world = SandboxWorld(clock=lambda: time.time() + offset[0])
    seed_demo_world(world)
    async with open_site(settings, world) as site:
        csrf = await site.csrf()
        await site.post("/telegram/connect/permissions", csrf=csrf, access="read")
        headers = [_cookie_header(site), (b"Origin", site.server.base_url.encode())]
        with trio.fail_after(30):
            async with open_websocket_url(_ws_url(site), extra_headers=headers) as socket:
                first = json.loads(await socket.get_message())
                offset[0] = 2.0  # ... and now it has expired: Telegram issues another
                second = json.loads(await socket.get_message())
    assert first["step"] == second["step"] == "needs_qr_scan"
    assert first["qr_url"] != second["qr_url"]
    assert first["qr_image"] != second["qr_image"]


async def test_no_phone_number_code_or_password_reaches_a_log_line_a_page_or_the_cookie(
    settings: Settings, world: SandboxWorld, demo: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with open_site(settings, world) as site:
        html = await to_code_step(site, demo.second_phone)
        code = code_for(world, demo.second_phone)
        form = {"csrf": csrf_of(html), "login_id": login_id_of(html)}
        pages = [html, (await site.post("/telegram/connect/code", **form, code=code)).text]
        pages.append((await site.post("/telegram/connect/password", **form, password="wrong-2fa-pass")).text)
        pages.append(
            (await site.post("/telegram/connect/password", **form, password=demo.second_password)).text
        )
        cookies = " ".join(site.http.cookies.values())
    assert "Your Telegram account is connected" in pages[-1]
    logged = _logged_text(caplog.records)
    digits = demo.second_phone.lstrip("+")
    for secret in (digits, code, "wrong-2fa-pass", demo.second_password):
        assert not _has_token(logged, secret), secret
        assert not _has_token(cookies, secret), secret
        assert not any(_has_token(page, secret) for page in pages[1:]), secret


def _logged_text(records: list[logging.LogRecord]) -> str:
    """What the log lines say: each message and every field that is text or a whole number.

    Float fields (``created``, ``msecs``...) are the record's own timestamps; a random code
    found among their digits is a coincidence, not a leak.
    """
    fields: list[str] = []
    for record in records:
        fields.append(record.getMessage())
        for value in record.__dict__.values():
            if isinstance(value, str | int | list | tuple | dict) and not isinstance(value, bool):
                fields.append(str(value))
    return "\n".join(fields)


def _has_token(text: str, secret: str) -> bool:
    """``secret`` standing on its own in ``text``: not inside a longer number, word or token."""
    return re.search(rf"(?<![\w.]){re.escape(secret)}(?!\w)", text) is not None


# -- who may connect at all (OAuth deployments) --------------------------------------------


async def _browser_cookie(h: Harness, telegram_id: int) -> str:
    """The sealed session cookie a browser holds after signing in as ``tg:<telegram_id>``."""
    identity = await h.services.identities.ensure(f"tg:{telegram_id}", display_name="Someone")
    identity = await h.services.identities.set_telegram_user(identity.id, telegram_id)
    key = h.services.settings.encryption_key
    assert key is not None
    codec = SessionCodec(key.value, secure=False)
    response = codec.store(Response(""), codec.new(identity_id=identity.id, subject=identity.subject))
    return response.headers["set-cookie"].split(";", 1)[0]


async def test_an_unapproved_person_can_start_no_telegram_login_and_no_code_is_sent(
    harness: Harness, world: SandboxWorld, demo: DemoWorld
) -> None:
    h = harness
    cookie = await _browser_cookie(h, STRANGER)
    page = await h.http.get("/telegram/connect", headers={"Cookie": cookie})
    assert page.status_code == 403
    assert "not approved" in page.text
    assert 'name="csrf"' not in page.text
    identity = await h.services.identities.by_subject(f"tg:{STRANGER}")
    assert identity is not None
    # Even a hand-made form (csrf is per session; the attacker has their own) starts nothing.
    session = SessionCodec(h.services.settings.encryption_key.value, secure=False).read(  # type: ignore[union-attr]
        cookie.split("=", 1)[1]
    )
    assert session is not None
    for path, form in (
        ("/telegram/connect/permissions", {"access": "send"}),
        ("/telegram/connect/qr", {}),
        ("/telegram/connect/phone", {"phone": demo.me_phone}),
    ):
        response = await h.http.post(path, data={"csrf": session.csrf, **form}, headers={"Cookie": cookie})
        assert response.status_code in (303, 403), (path, response.status_code)
    assert world.last_login_code(demo.me_phone) is None
    assert await h.services.accounts.for_identity(identity.id) is None


async def test_an_approved_person_reaches_the_permissions_step(harness: Harness) -> None:
    cookie = await _browser_cookie(harness, CLIENT_ID)
    page = await harness.http.get("/telegram/connect", headers={"Cookie": cookie})
    assert page.status_code == 200
    assert "Choose what is allowed" in page.text


async def test_too_many_login_codes_get_a_sentence_saying_when_to_retry(
    harness: Harness, demo: DemoWorld
) -> None:
    h = harness
    cookie = await _browser_cookie(h, CLIENT_ID)
    csrf = csrf_of((await h.http.get("/telegram/connect", headers={"Cookie": cookie})).text)
    chosen = await h.http.post(
        "/telegram/connect/permissions", data={"csrf": csrf, "access": "read"}, headers={"Cookie": cookie}
    )
    cookie = chosen.headers["set-cookie"].split(";", 1)[0]
    last = None
    for _ in range(4):
        with trio.fail_after(20):
            last = await h.http.post(
                "/telegram/connect/phone",
                data={"csrf": csrf, "phone": demo.me_phone},
                headers={"Cookie": cookie},
            )
        if "set-cookie" in last.headers:
            cookie = last.headers["set-cookie"].split(";", 1)[0]
    assert last is not None
    assert last.status_code == 429
    assert "Too many login codes were requested for this phone number" in last.text
    assert "try again in" in last.text


async def test_the_permissions_step_offers_read_draft_and_send_and_draft_moves_on_to_login(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        csrf = await site.csrf()
        choices = (await site.page("/telegram/connect")).text
        assert 'value="read" checked' in choices
        assert "Read and draft" in choices
        assert 'value="send"' in choices
        page = (await site.post("/telegram/connect/permissions", csrf=csrf, access="draft")).text
        assert "Scan the QR code" in page


# -- "not now — back to the app" -------------------------------------------------------------


async def _to_step(
    http: httpx.AsyncClient, base_url: str, world: SandboxWorld, demo: DemoWorld, step: str
) -> tuple[str, str]:
    """From an MCP client's authorization request to the wizard ``step``; the client id and the page."""
    client_id = await register(http, base_url, REDIRECT)
    authorize = f"{base_url}/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": f"state-{step}",
            "code_challenge": s256(VERIFIER),
            "code_challenge_method": "S256",
        }
    )
    consent = await Browser(http).consent_page(authorize, telegram_id=demo.me)
    with trio.fail_after(30):
        page = await http.post(
            base_url + "/oauth/consent",
            data={"csrf": csrf_of(consent), "decision": "approve", "access": "read"},
            follow_redirects=True,
        )
        assert "Scan the QR code" in page.text  # permissions were chosen at consent
        csrf = csrf_of(page.text)
        phone = demo.second_phone if step == "password" else demo.me_phone
        if step == "phone":
            page = await http.get(base_url + "/telegram/connect/phone")
        if step in ("code", "password", "failed"):
            form = {"csrf": csrf, "phone": phone}
            page = await http.post(base_url + "/telegram/connect/phone", data=form, follow_redirects=True)
        if step == "password":
            page = await http.post(
                base_url + "/telegram/connect/code",
                data={"csrf": csrf, "login_id": login_id_of(page.text), "code": code_for(world, phone)},
                follow_redirects=True,
            )
        right = code_for(world, phone) if step == "failed" else ""
        wrong = [code for code in ("11111", "22222", "33333", "44444") if code != right][:3]
        for code in wrong if right else []:  # three different wrong codes end the login
            page = await http.post(
                base_url + "/telegram/connect/code",
                data={"csrf": csrf, "login_id": login_id_of(page.text), "code": code},
                follow_redirects=True,
            )
    return client_id, page.text


async def test_not_now_returns_to_the_waiting_client_from_every_step_without_an_account(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    headings = {
        "qr": "Scan the QR code",
        "phone": "Log in with your phone number",
        "code": "Enter the login code",
        "password": "Enter your two-step verification password",
        "failed": "The login did not finish",
    }
    async with start_oauth_server(tmp_path, world, AUTO_APPROVE_CLIENTS="true") as server:
        for step, heading in headings.items():
            async with httpx.AsyncClient() as http:
                client_id, html = await _to_step(http, server.base_url, world, demo, step)
                assert f"<h1>{heading}</h1>" in html, (step, html[:2000])
                assert "Not now — back to Test client" in html
                url = server.base_url + "/telegram/connect/return"
                answer = await http.post(url, data={"csrf": csrf_of(html)})
                with trio.fail_after(10):
                    while not answer.headers["location"].startswith(REDIRECT):
                        assert answer.status_code in (302, 303), answer.text
                        answer = await http.get(urljoin(url, answer.headers["location"]))
                params = query_of(answer.headers["location"])
                assert params["state"] == f"state-{step}", step
                assert params["iss"] == server.base_url
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
        async with over_http(server.mcp_url, token.json()["access_token"]) as client:
            refused = await error_of(client, "list_dialogs", {})
        assert "No Telegram account is connected for you" in str(refused)
        identity = await server.services.identities.by_subject(f"tg:{demo.me}")
        assert identity is not None
        assert await server.services.accounts.for_identity(identity.id) is None  # nothing was connected


async def test_a_second_account_is_added_with_its_label_and_permissions_and_a_third_is_refused_at_the_limit(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings.replace(max_accounts_per_identity=2), world) as site:
        html = await to_code_step(site, demo.me_phone)
        await site.post(
            "/telegram/connect/code",
            csrf=csrf_of(html),
            login_id=login_id_of(html),
            code=code_for(world, demo.me_phone),
        )
        offer = (await site.page("/telegram/connect")).text
        csrf = await site.csrf("/telegram/connect/add")
        bad = await site.post("/telegram/connect/add", csrf=csrf, label="no spaces", access="send")
        taken = await site.post("/telegram/connect/add", csrf=csrf, label="Main", access="send")
        qr = await site.post("/telegram/connect/add", csrf=csrf, label="Work", access="send")
        code_page = await site.post("/telegram/connect/phone", csrf=csrf, phone=demo.second_phone)
        form = {"csrf": csrf, "login_id": login_id_of(code_page.text)}
        password_page = await site.post(
            "/telegram/connect/code", **form, code=code_for(world, demo.second_phone)
        )
        done = await site.post("/telegram/connect/password", **form, password=demo.second_password)
        mark = world.mark()
        full = await site.post("/telegram/connect/add", csrf=csrf, label="third", access="read")
        calls = world.calls_since(mark)
        services = site.server.services
        operator = await services.identities.ensure("operator")
        rows = await services.accounts.list_for_identity(operator.id)

    assert "Add another Telegram account" in offer
    assert (
        alert_of(bad.text)
        == "Must be 1-16 letters, digits, hyphens or underscores, starting with a letter (e.g. work)."
    )
    assert alert_of(taken.text) == "You already have an account with this label; choose another."
    assert 'data-step="needs_qr_scan"' in qr.text
    assert 'data-step="needs_password"' in password_page.text
    assert "Connected as <strong>Grace Hopper</strong>" in done.text
    assert "Sending: <strong>on</strong>" in done.text
    assert alert_of(full.text) == (
        "You already have 2 Telegram accounts here, the most this server allows; "
        "delete one (delete_telegram_account or the manage page) to add another."
    )
    # no login began for the third: no code sent, no QR token (the second account's own
    # connection may still be settling in the background, so only login requests count)
    assert [c for c in calls if c.startswith("auth.")] == []
    assert [(r.label, r.telegram_user_id, r.is_default, r.send_enabled) for r in rows] == [
        ("main", demo.me, True, False),
        ("work", demo.second, False, True),
    ]
