"""The authorization and token endpoints refuse what OAuth 2.1 says they must, each in its own case."""

from __future__ import annotations

import base64
import json
import logging

import pytest
import trio

from mctltg.oauth import OAuthError
from mctltg.oauth.rfc7636 import s256
from mctltg.oauth.rfc9068 import AccessClaims
from tests.harness.oauth import BASE, REDIRECT, VERIFIER, Harness, query_of


def _authorize_params(h: Harness, **changes: str | None) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": h.client_id,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(changes)  # type: ignore[arg-type]
    return {k: v for k, v in params.items() if v is not None}


async def test_an_authorization_request_without_pkce_is_sent_back_with_invalid_request(
    harness: Harness,
) -> None:
    h = harness
    response = await h.http.get(
        "/oauth/authorize", params=_authorize_params(h, code_challenge=None, code_challenge_method=None)
    )
    assert response.status_code == 302
    back = query_of(response.headers["location"])
    assert response.headers["location"].startswith(REDIRECT)
    assert back["error"] == "invalid_request"
    assert "code_challenge" in back["error_description"]
    assert back["state"] == "xyz"
    assert back["iss"] == BASE


async def test_plain_pkce_is_refused(harness: Harness) -> None:
    h = harness
    response = await h.http.get(
        "/oauth/authorize",
        params=_authorize_params(h, code_challenge=VERIFIER, code_challenge_method="plain"),
    )
    back = query_of(response.headers["location"])
    assert back["error"] == "invalid_request"
    assert "S256" in back["error_description"]


async def test_an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(harness: Harness) -> None:
    h = harness
    response = await h.http.get(
        "/oauth/authorize", params=_authorize_params(h, redirect_uri="https://evil.example/cb")
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect_uri" in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_state_longer_than_4096_bytes_is_refused_and_not_echoed(harness: Harness) -> None:
    h = harness
    response = await h.http.get("/oauth/authorize", params=_authorize_params(h, state="s" * 4097))
    back = query_of(response.headers["location"])
    assert back["error"] == "invalid_request"
    assert "state" not in back


async def test_a_foreign_resource_is_refused_with_invalid_target(harness: Harness) -> None:
    h = harness
    response = await h.http.get(
        "/oauth/authorize", params=_authorize_params(h, resource="https://other.example/mcp")
    )
    assert query_of(response.headers["location"])["error"] == "invalid_target"


async def test_a_wrong_code_verifier_is_refused(harness: Harness) -> None:
    h = harness
    code = await h.code()
    response = await h.exchange(code, verifier="w" * 43)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "code_verifier" in response.json()["error_description"]


async def test_a_redirect_uri_that_differs_from_the_authorization_request_is_refused(
    harness: Harness,
) -> None:
    h = harness
    code = await h.code()
    response = await h.exchange(code, redirect_uri="http://127.0.0.1:9/other")
    assert response.json()["error"] == "invalid_grant"
    assert "redirect_uri" in response.json()["error_description"]


async def test_a_good_exchange_returns_tokens_that_are_not_cached(harness: Harness) -> None:
    h = harness
    response = await h.exchange(await h.code())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    assert set(body["scope"].split()) == {
        "telegram:dialogs:read",
        "telegram:messages:read",
        "telegram:drafts:write",
        "telegram:messages:send",
        "telegram:messages:pin",
        "account:manage",
    }
    claims = h.parts.server.codec.verify(body["access_token"], audience=BASE + "/mcp")
    assert claims is not None
    assert claims.subject == "tg:7002"
    assert claims.issuer == BASE


async def test_a_replayed_code_is_refused_and_revokes_what_it_issued(harness: Harness) -> None:
    h = harness
    code = await h.code()
    first = (await h.exchange(code)).json()
    assert await h.parts.server.verify_access(first["access_token"]) is not None
    replay = await h.exchange(code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert (await h.mcp(first["access_token"])).status_code == 401
    assert (await h.refresh(first["refresh_token"])).json()["error"] == "invalid_grant"


async def test_a_replayed_refresh_token_revokes_the_whole_family(harness: Harness) -> None:
    h = harness
    server = h.parts.server
    tokens = (await h.exchange(await h.code())).json()
    form = {"grant_type": "refresh_token", "client_id": h.client_id}
    second = (await server.token({**form, "refresh_token": tokens["refresh_token"]})).body
    h.clock.now += 60  # well past the grace window
    with pytest.raises(OAuthError) as replay:
        await server.token({**form, "refresh_token": tokens["refresh_token"]})
    assert replay.value.error == "invalid_grant"
    assert "already used" in replay.value.description
    assert (await h.refresh(second["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await h.mcp(second["access_token"])).status_code == 401


async def test_concurrent_refreshes_within_the_grace_window_both_succeed_in_one_family(
    harness: Harness,
) -> None:
    h = harness
    tokens = (await h.exchange(await h.code())).json()
    answers: list[dict[str, str]] = []

    async def refresh() -> None:
        response = await h.refresh(tokens["refresh_token"])
        assert response.status_code == 200, response.text
        answers.append(response.json())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(refresh)
        nursery.start_soon(refresh)
    assert answers[0]["refresh_token"] == answers[1]["refresh_token"]
    assert answers[0]["access_token"] != answers[1]["access_token"]
    for answer in answers:
        assert await h.parts.server.verify_access(answer["access_token"]) is not None
    following = await h.refresh(answers[0]["refresh_token"])
    assert following.status_code == 200, following.text


async def test_a_refresh_cannot_widen_the_scope(harness: Harness) -> None:
    h = harness
    tokens = (await h.exchange(await h.code(allow_send=False))).json()
    assert "telegram:messages:send" not in tokens["scope"].split()
    response = await h.refresh(tokens["refresh_token"], scope="telegram:dialogs:read telegram:messages:send")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    narrower = await h.refresh(tokens["refresh_token"], scope="telegram:dialogs:read")
    assert narrower.json()["scope"] == "telegram:dialogs:read"


async def test_the_requested_scope_narrows_the_grant(harness: Harness) -> None:
    h = harness
    tokens = (await h.exchange(await h.code(scope="telegram:dialogs:read openid"))).json()
    assert tokens["scope"] == "telegram:dialogs:read"


async def test_an_oversized_registration_body_is_refused(harness: Harness) -> None:
    h = harness
    body = json.dumps({"redirect_uris": [REDIRECT], "client_name": "x" * 20_000})
    response = await h.http.post(
        "/oauth/register", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


async def test_revocation_ends_the_grant(harness: Harness) -> None:
    h = harness
    tokens = (await h.exchange(await h.code())).json()
    response = await h.http.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": h.client_id}
    )
    assert response.status_code == 200
    assert (await h.mcp(tokens["access_token"])).status_code == 401
    unknown = await h.http.post("/oauth/revoke", data={"token": "nonsense", "client_id": h.client_id})
    assert unknown.status_code == 200


# -- the resource server ------------------------------------------------------------------


async def test_mcp_without_a_token_answers_401_pointing_at_the_metadata(harness: Harness) -> None:
    h = harness
    response = await h.mcp(None)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert "error=" not in challenge


async def test_a_token_for_another_audience_is_refused(harness: Harness) -> None:
    h = harness
    now = int(h.clock.now)
    token = h.parts.server.codec.mint(
        AccessClaims(
            issuer=BASE,
            subject="tg:7002",
            audience="https://other.example/mcp",
            client_id=h.client_id,
            scopes=("telegram:dialogs:read",),
            issued_at=now,
            expires_at=now + 600,
            jti="other-audience",
        )
    )
    response = await h.mcp(token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_a_token_with_alg_none_is_refused(harness: Harness) -> None:
    h = harness
    tokens = (await h.exchange(await h.code())).json()
    payload = tokens["access_token"].split(".")[1]
    unsigned = _b64({"alg": "none", "typ": "at+jwt"}) + "." + payload + "."
    assert (await h.mcp(unsigned)).status_code == 401


async def test_an_expired_token_is_refused(harness: Harness) -> None:
    h = harness
    tokens = (await h.exchange(await h.code())).json()
    claims = h.parts.server.codec.verify(tokens["access_token"], audience=BASE + "/mcp")
    assert claims is not None
    expired = h.parts.server.codec.mint(
        AccessClaims(
            issuer=BASE,
            subject=claims.subject,
            audience=claims.audience,
            client_id=claims.client_id,
            scopes=claims.scopes,
            issued_at=claims.issued_at - 7200,
            expires_at=claims.issued_at - 3600,
            jti=claims.jti,
        )
    )
    assert (await h.mcp(expired)).status_code == 401


async def test_discovery_documents_name_one_issuer(harness: Harness) -> None:
    h = harness
    server_meta = (await h.http.get("/.well-known/oauth-authorization-server")).json()
    resource_meta = (await h.http.get("/.well-known/oauth-protected-resource/mcp")).json()
    bare = (await h.http.get("/.well-known/oauth-protected-resource")).json()
    assert server_meta["issuer"] == BASE
    assert resource_meta == bare
    assert resource_meta["resource"] == BASE + "/mcp"
    assert resource_meta["authorization_servers"] == [BASE]
    assert "admin:users" in resource_meta["scopes_supported"]
    assert server_meta["code_challenge_methods_supported"] == ["S256"]


async def test_no_code_token_or_verifier_reaches_a_log_line(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    code = await h.code()
    tokens = (await h.exchange(code)).json()
    refreshed = (await h.refresh(tokens["refresh_token"])).json()
    await h.exchange(code)  # a replay: refused, and it revokes the grant
    await h.http.post("/oauth/revoke", data={"token": refreshed["refresh_token"], "client_id": h.client_id})
    await h.mcp(tokens["access_token"])
    logged = "\n".join(f"{record.getMessage()} {record.__dict__!r}" for record in caplog.records)
    assert caplog.records  # something was logged, so the check below means something
    for secret in (
        code,
        VERIFIER,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["refresh_token"],
    ):
        assert secret not in logged


async def test_a_token_is_revoked_only_by_the_client_it_was_issued_to(harness: Harness) -> None:
    h = harness
    tokens = (await h.exchange(await h.code())).json()
    other = await h.http.post("/oauth/register", json={"client_name": "Other", "redirect_uris": [REDIRECT]})
    other_id = other.json()["client_id"]
    for form in (
        {"token": tokens["refresh_token"], "client_id": other_id},
        {"token": tokens["access_token"], "client_id": other_id},
        {"token": tokens["refresh_token"]},  # no client at all
        {"token": tokens["access_token"]},
    ):
        response = await h.http.post("/oauth/revoke", data=form)
        assert response.status_code in (200, 401), response.text
        assert await h.parts.server.verify_access(tokens["access_token"]) is not None, form
    assert (await h.refresh(tokens["refresh_token"])).status_code == 200


async def test_the_refresh_grace_window_closes_once_the_successor_is_used(harness: Harness) -> None:
    h = harness
    server = h.parts.server
    tokens = (await h.exchange(await h.code())).json()
    form = {"grant_type": "refresh_token", "client_id": h.client_id, "refresh_token": tokens["refresh_token"]}
    successor = (await server.token(form)).body
    assert await server.verify_access(successor["access_token"]) is not None  # the client used it
    h.clock.now += 2  # well inside the grace window
    with pytest.raises(OAuthError) as replay:
        await server.token(form)
    assert replay.value.error == "invalid_grant"
    assert "already used" in replay.value.description
    assert await server.verify_access(successor["access_token"]) is None  # the family is revoked


async def test_the_refresh_grace_window_closes_once_the_successor_is_refreshed(harness: Harness) -> None:
    h = harness
    server = h.parts.server
    tokens = (await h.exchange(await h.code())).json()
    form = {"grant_type": "refresh_token", "client_id": h.client_id}
    successor = (await server.token({**form, "refresh_token": tokens["refresh_token"]})).body
    await server.token({**form, "refresh_token": successor["refresh_token"]})
    with pytest.raises(OAuthError) as replay:
        await server.token({**form, "refresh_token": tokens["refresh_token"]})
    assert replay.value.error == "invalid_grant"


async def test_another_client_never_gets_the_successor_inside_the_grace_window(harness: Harness) -> None:
    h = harness
    server = h.parts.server
    tokens = (await h.exchange(await h.code())).json()
    other = (
        await h.http.post("/oauth/register", json={"client_name": "Other", "redirect_uris": [REDIRECT]})
    ).json()["client_id"]
    await server.token(
        {"grant_type": "refresh_token", "client_id": h.client_id, "refresh_token": tokens["refresh_token"]}
    )
    with pytest.raises(OAuthError) as stolen:
        await server.token(
            {"grant_type": "refresh_token", "client_id": other, "refresh_token": tokens["refresh_token"]}
        )
    assert stolen.value.error == "invalid_grant"
