"""``send_media`` over real HTTP: the whole server in this process, Telethon on the sandbox,
files from a loopback https server with a test CA (trusted through ``OUTBOUND_TRUSTED_HOSTS``)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import PIL.Image
import pytest
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import EmbeddedResource, ImageContent, TextResourceContents

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from tests.harness.https_files import HttpsFiles, Route, serve_https_files
from tests.harness.inprocess import serve_in_process
from tests.harness.settings import sandbox_settings
from tests.harness.world import identity_id

SEND_MEDIA = "messages.SendMediaRequest"
CAP = 200_000


def png(width: int = 320, height: int = 240) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Setup:
    client: Client
    services: Services
    world: SandboxWorld
    files: HttpsFiles
    me: int
    peer: str

    async def call(self, **arguments: Any) -> dict[str, Any]:
        result = await self.client.call_tool("send_media", {"peer": self.peer, **arguments})
        assert result.structured_content is not None
        assert not result.is_error, result.structured_content
        return result.structured_content

    async def refusal(self, **arguments: Any) -> dict[str, Any]:
        result = await self.client.call_tool("send_media", {"peer": self.peer, **arguments})
        assert result.is_error
        out = result.structured_content
        assert out is not None
        message = out["message"]
        assert "\n" not in message
        assert "Traceback" not in message
        assert message.count(". ") == 0, message  # one sentence
        return out

    async def ledger_rows(self) -> int:
        return await self.services.sends.recent_count(await identity_id(self.services), self.peer)

    def captions(self, text: str) -> int:
        return sum(1 for m in self.world.history(viewer=self.me, peer=self.peer) if m.text == text)


@pytest.fixture
async def setup(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Setup]:
    settings = sandbox_settings(
        tmp_path,
        ALLOW_SEND="true",
        OUTBOUND_TRUSTED_HOSTS="localhost",
        OUTBOUND_TIMEOUT="1.5",
        SEND_MEDIA_MAX_BYTES=str(CAP),
    )
    async with serve_https_files(tmp_path) as files:
        # The server trusts the test CA the way an operator points it at theirs.
        monkeypatch.setenv("SSL_CERT_FILE", str(files.write_ca(tmp_path / "ca.pem")))
        with trio.fail_after(60):
            async with (
                serve_in_process(settings, world) as server,
                httpx2.AsyncClient() as http,
                Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
            ):
                await provision_sandbox_account(server.services, telegram_user_id=demo.me, send_enabled=True)
                yield Setup(client, server.services, world, files, demo.me, f"user:{demo.contacts[0]}")


async def test_a_photo_from_an_https_url_is_delivered_and_a_later_read_shows_it(setup: Setup) -> None:
    photo = png(320, 240)
    setup.files.routes["/board.png"] = Route(content_type="image/png", body=photo)
    mark = setup.world.mark()
    out = await setup.call(kind="photo", url=setup.files.url("/board.png"), caption="The board \u202eright")
    assert out["mode"] == "send"
    assert out["status"] == "sent"
    calls = setup.world.calls_since(mark, user_id=setup.me)
    assert calls[-2:] == ["upload.SaveFilePartRequest", SEND_MEDIA]
    newest = setup.world.history(viewer=setup.me, peer=setup.peer)[0]
    assert newest.id == out["message_ids"][0]
    assert newest.text == "The board right"  # the caption lost its bidi override
    page = await setup.client.call_tool("get_messages", {"peer": setup.peer, "limit": 1})
    assert page.structured_content is not None
    media = page.structured_content["messages"][0]["media"]
    assert media["kind"] == "photo"
    assert (media["width"], media["height"]) == (320, 240)
    assert setup.files.hits == ["/board.png"]


async def test_the_same_key_twice_delivers_exactly_once(setup: Setup) -> None:
    data = base64.b64encode(png()).decode()
    first = await setup.call(kind="photo", data_base64=data, caption="Once only", idempotency_key="m-1")
    mark = setup.world.mark()
    second = await setup.call(kind="photo", data_base64=data, caption="Once only", idempotency_key="m-1")
    assert first["status"] == "sent"
    assert second["status"] == "sent"
    assert second["replayed"] is True
    assert second["message_ids"] == first["message_ids"]
    assert setup.world.calls_since(mark) == []
    assert setup.captions("Once only") == 1


async def test_a_send_whose_answer_is_lost_is_never_resent_with_the_same_key(setup: Setup) -> None:
    setup.files.routes["/doc.pdf"] = Route(content_type="application/pdf", body=b"%PDF-1.4 minimal")
    setup.world.add_fault(Fault.lose_answer(request=SEND_MEDIA, user_id=setup.me))
    url = setup.files.url("/doc.pdf")
    with trio.fail_after(20):
        first = await setup.call(kind="document", url=url, caption="Lost answer", idempotency_key="m-2")
    assert first["status"] == "unverified"
    assert setup.captions("Lost answer") == 1
    mark = setup.world.mark()
    again = await setup.call(kind="document", url=url, caption="Lost answer", idempotency_key="m-2")
    assert again["status"] == "unverified"
    assert again["replayed"] is True
    assert setup.world.calls_since(mark) == []
    assert setup.captions("Lost answer") == 1
    assert setup.files.hits == ["/doc.pdf"]  # the retry did not even fetch


async def test_a_closed_gate_is_a_preview_with_no_fetch_and_no_telegram_call(setup: Setup) -> None:
    setup.files.routes["/board.png"] = Route(content_type="image/png", body=png())
    await setup.client.call_tool("set_send_consent", {"enabled": False})
    mark = setup.world.mark()
    out = await setup.call(kind="photo", url=setup.files.url("/board.png"), caption="Not yet")
    assert out["mode"] == "draft"
    assert out["dry_reason_code"] == "send_enabled"
    assert out["dry_reason"]
    assert setup.world.calls_since(mark) == []
    assert setup.files.hits == []
    assert setup.captions("Not yet") == 0


def _bad_inputs(files: HttpsFiles) -> list[tuple[dict[str, Any], str, str]]:
    """(arguments, field, words the sentence must contain) for every bad input of issue 15."""
    files.routes["/slow.png"] = Route(stall=True)
    files.routes["/fake.png"] = Route(content_type="image/png", body=b"<html>not a picture</html>")
    files.routes["/fake.mp4"] = Route(content_type="video/mp4", body=b"<html>not a video</html>")
    files.routes["/page.html"] = Route(content_type="text/html", body=png())
    files.routes["/huge.bin"] = Route(
        content_type="application/octet-stream", body=b"x" * (CAP + 1), chunked=True
    )
    files.redirect("/hop", files.url("/fake.png", host="127.0.0.1"))
    big = base64.b64encode(b"x" * (CAP + 10)).decode()
    return [
        ({"kind": "photo", "url": f"http://localhost:{files.port}/a.png"}, "url", "https"),
        ({"kind": "photo", "url": files.url("/a.png", host="127.0.0.1")}, "url", "loopback address"),
        ({"kind": "photo", "url": files.url("/hop")}, "url", "redirected to 127.0.0.1"),
        ({"kind": "photo", "url": files.url("/slow.png?sig=s3cret")}, "url", "timed out"),
        ({"kind": "photo", "url": files.url("/fake.png")}, "url", "is not a JPEG, PNG or WebP image"),
        ({"kind": "video", "url": files.url("/fake.mp4")}, "url", "does not look like a video"),
        ({"kind": "photo", "url": files.url("/page.html")}, "url", "declared as text/html"),
        ({"kind": "document", "url": files.url("/huge.bin")}, "url", "larger than the 200,000 bytes"),
        ({"kind": "photo", "data_base64": "@@not base64@@"}, "data_base64", "not valid base64"),
        ({"kind": "document", "data_base64": big}, "data_base64", "more than the 200,000 bytes"),
        ({"kind": "photo"}, "url", "exactly one of url or data_base64"),
    ]


async def test_every_bad_input_is_one_sentence_with_no_telegram_call_and_no_ledger_row(setup: Setup) -> None:
    rows = await setup.ledger_rows()
    for arguments, field, words in _bad_inputs(setup.files):
        mark = setup.world.mark()
        with trio.fail_after(10):
            out = await setup.refusal(**arguments, caption="bad", idempotency_key=f"bad-{len(words)}")
        assert (out["error"], out["field"]) == ("invalid_input", field), out
        assert words in out["message"], out["message"]
        assert "s3cret" not in out["message"]
        assert setup.world.calls_since(mark) == [], arguments
    assert await setup.ledger_rows() == rows
    assert setup.captions("bad") == 0


async def test_an_unsupported_kind_is_one_sentence_with_no_fetch(setup: Setup) -> None:
    mark = setup.world.mark()
    result = await setup.client.call_tool(
        "send_media", {"peer": setup.peer, "kind": "sticker", "url": setup.files.url("/a.webp")}
    )
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "kind" in text
    assert "\n" not in text.strip()
    assert setup.world.calls_since(mark) == []
    assert setup.files.hits == []


async def test_a_bad_input_then_a_good_one_with_the_same_key_sends(setup: Setup) -> None:
    """A refusal leaves no row behind, so the key is still free for the corrected call."""
    refused = await setup.refusal(kind="photo", data_base64="%%%", caption="Retry me", idempotency_key="m-3")
    assert refused["field"] == "data_base64"
    sent = await setup.call(
        kind="photo", data_base64=base64.b64encode(png()).decode(), caption="Retry me", idempotency_key="m-3"
    )
    assert sent["status"] == "sent"
    assert setup.captions("Retry me") == 1


async def test_what_send_media_sent_reads_back_with_get_media(setup: Setup) -> None:
    setup.files.routes["/board.png"] = Route(content_type="image/png", body=png(320, 240))
    photo = await setup.call(kind="photo", url=setup.files.url("/board.png"))
    notes = base64.b64encode(b"line one\nline two\n").decode()
    document = await setup.call(kind="document", data_base64=notes, file_name="notes.txt")

    seen = await setup.client.call_tool(
        "get_media", {"peer": setup.peer, "message_id": photo["message_ids"][0]}
    )
    image = next(block for block in seen.content if isinstance(block, ImageContent))
    with PIL.Image.open(io.BytesIO(base64.b64decode(image.data))) as decoded:
        assert decoded.size == (320, 240)

    read = await setup.client.call_tool(
        "get_media", {"peer": setup.peer, "message_id": document["message_ids"][0]}
    )
    text = next(block for block in read.content if isinstance(block, EmbeddedResource))
    assert isinstance(text.resource, TextResourceContents)
    assert "line one" in text.resource.text


async def test_each_kind_arrives_as_that_kind_and_every_send_is_audited(setup: Setup) -> None:
    samples = {
        "voice": b"OggS\x00\x02" + b"\x00" * 200,
        "audio": b"ID3\x04\x00\x00" + b"\x00" * 200,
        "video": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200,
        "animation": b"GIF89a\x01\x00\x01\x00" + b"\x00" * 200,
        "document": b"%PDF-1.4 a tiny document",
    }
    for kind, data in samples.items():
        await setup.call(kind=kind, data_base64=base64.b64encode(data).decode(), caption=f"a {kind}")
    page = await setup.client.call_tool("get_messages", {"peer": setup.peer, "limit": len(samples)})
    assert page.structured_content is not None
    arrived = {m["media"]["kind"] for m in page.structured_content["messages"]}
    assert arrived == set(samples)
    log = await setup.client.call_tool("get_my_audit_log", {"limit": 50})
    assert log.structured_content is not None
    tools = [entry["tool"] for entry in log.structured_content["entries"]]
    assert tools.count("send_media") == len(samples)
    assert tools.count("send_media:delivery") == len(samples)


async def test_a_file_above_10_mb_is_uploaded_in_big_parts_and_arrives_whole(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytes(range(256)) * (42 * 1024)  # 10.5 MiB, under the default 20 MiB cap
    peer = f"user:{demo.contacts[0]}"
    settings = sandbox_settings(
        tmp_path, ALLOW_SEND="true", OUTBOUND_TRUSTED_HOSTS="localhost", TG_CALL_TIMEOUT="30"
    )
    async with serve_https_files(tmp_path) as files:
        files.routes["/big.bin"] = Route(body=data)
        monkeypatch.setenv("SSL_CERT_FILE", str(files.write_ca(tmp_path / "ca.pem")))
        with trio.fail_after(90):
            async with (
                serve_in_process(settings, world) as server,
                httpx2.AsyncClient() as http,
                Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
            ):
                await provision_sandbox_account(server.services, telegram_user_id=demo.me, send_enabled=True)
                mark = world.mark()
                result = await client.call_tool(
                    "send_media", {"peer": peer, "kind": "document", "url": files.url("/big.bin")}
                )
                assert not result.is_error, result.structured_content
                calls = world.calls_since(mark, user_id=demo.me)
                page = await client.call_tool("get_messages", {"peer": peer, "limit": 1})
    assert calls.count("upload.SaveBigFilePartRequest") == 84
    assert "upload.SaveFilePartRequest" not in calls
    assert page.structured_content is not None
    media = page.structured_content["messages"][0]["media"]
    assert (media["kind"], media["size"], media["file_name"]) == ("document", len(data), "big.bin")
