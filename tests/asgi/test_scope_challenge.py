"""The step-up wrapper asks its challenge only about ``tools/call`` requests with a bearer token,
answers 403 with exactly the challenge it is given, and hands every other body on unchanged.

The app behind it stands in for the MCP SDK (a boundary) and records the body it received.
"""

from __future__ import annotations

import json
from typing import Any

import trio

from mctltg.asgi.scope_challenge import challenge_tool_scopes

CHALLENGE = 'Bearer error="insufficient_scope", scope="a b", resource_metadata="https://x/.well-known/r"'


async def _post(app: Any, body: bytes, *, token: bool = True) -> tuple[int, dict[bytes, bytes], bytes]:
    headers = [(b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", b"Bearer t"))
    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": headers}
    delivered = False
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await trio.sleep_forever()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], dict(message["headers"])
        else:
            answer["body"] += message.get("body", b"")

    with trio.fail_after(5):
        await app(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"]


def _wrapped(asked: list[tuple[str, str]], seen: list[bytes]) -> Any:
    async def sdk(scope: Any, receive: Any, send: Any) -> None:
        seen.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def challenge(authorization: str, tool: str) -> str | None:
        asked.append((authorization, tool))
        return CHALLENGE if tool == "send_message" else None

    return challenge_tool_scopes(sdk, challenge=challenge)


def _call(tool: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}).encode()


async def test_a_challenged_tool_call_gets_403_with_the_challenge_and_never_reaches_the_sdk() -> None:
    asked: list[tuple[str, str]] = []
    seen: list[bytes] = []
    status, headers, body = await _post(_wrapped(asked, seen), _call("send_message"))
    assert status == 403
    assert headers[b"www-authenticate"].decode() == CHALLENGE
    assert json.loads(body)["error"] == "insufficient_scope"
    assert asked == [("Bearer t", "send_message")]
    assert seen == []


async def test_other_requests_reach_the_sdk_with_their_body_unchanged() -> None:
    asked: list[tuple[str, str]] = []
    seen: list[bytes] = []
    app = _wrapped(asked, seen)
    bodies = [
        _call("list_dialogs"),  # asked, not challenged
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).encode(),
        b"not json",
        json.dumps([{"jsonrpc": "2.0", "id": 3, "method": "tools/call"}]).encode(),
    ]
    for body in bodies:
        assert (await _post(app, body))[0] == 200
    assert (await _post(app, _call("send_message"), token=False))[0] == 200  # the 401 is not ours
    assert seen == [*bodies, _call("send_message")]
    assert asked == [("Bearer t", "list_dialogs")]
