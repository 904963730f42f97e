"""Media links over real HTTP: get_media hands out a link, the link streams the file from Telegram.

The whole server runs in this process on the sandbox (real Telethon, real ``upload.getFile``);
the file's bytes are checked against what the sandbox generated for it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ResourceLink

from mctltg.accounts.media_links import MAX_STREAMS_PER_ACCOUNT
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.sandbox.media import Blob
from mctltg.web.media import _byte_range, _safe_type
from tests.harness.inprocess import InProcessServer, serve_provisioned
from tests.harness.logs import captured_logs
from tests.harness.processes import start_demo

MIB = 1024 * 1024
BIG = Blob.generated(20 * MIB, 20)  # the seeded engine-tables.zip


def digest_of(blob: Blob) -> str:
    expected = hashlib.sha256()
    for offset in range(0, blob.size, MIB):
        expected.update(blob.read(offset, MIB))
    return expected.hexdigest()


@asynccontextmanager
async def mcp_over_http(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, **settings: str
) -> AsyncIterator[tuple[InProcessServer, Client]]:
    async with (
        serve_provisioned(tmp_path, world, demo, **settings) as server,
        httpx2.AsyncClient() as http,
        Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
    ):
        yield server, client


async def link_to(client: Client, demo: DemoWorld, message_id: int) -> tuple[dict[str, Any], ResourceLink]:
    result = await client.call_tool(
        "get_media", {"peer": f"channel:{demo.archived}", "message_id": message_id}
    )
    assert not result.is_error, result.content
    assert result.structured_content is not None
    links = [block for block in result.content if isinstance(block, ResourceLink)]
    assert len(links) == 1
    return result.structured_content, links[0]


async def test_a_big_document_comes_as_a_link_that_streams_exactly_its_bytes(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(120):
        async with mcp_over_http(tmp_path, world, demo) as (_, client), httpx.AsyncClient() as http:
            payload, link = await link_to(client, demo, demo.big_document_message_id)
            assert payload["returned"] == "link"
            assert payload["link"] == str(link.uri)
            assert (link.name, link.mime_type) == ("engine-tables.zip", "application/zip")
            assert link.size == BIG.size
            received = hashlib.sha256()
            async with http.stream("GET", str(link.uri)) as response:
                assert response.status_code == 200
                assert response.headers["content-length"] == str(BIG.size)
                assert response.headers["content-disposition"].startswith("attachment")
                assert "sandbox" in response.headers["content-security-policy"]
                async for piece in response.aiter_bytes():
                    received.update(piece)
            assert received.hexdigest() == digest_of(BIG)


async def test_a_range_request_gets_just_those_bytes_so_a_download_can_resume(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(60):
        async with mcp_over_http(tmp_path, world, demo) as (_, client), httpx.AsyncClient() as http:
            _, link = await link_to(client, demo, demo.big_document_message_id)
            start = 3 * MIB - 100  # across a 1 MiB boundary Telegram will not serve in one request
            response = await http.get(str(link.uri), headers={"Range": f"bytes={start}-{start + 299}"})
            assert response.status_code == 206
            assert response.headers["content-range"] == f"bytes {start}-{start + 299}/{BIG.size}"
            assert response.content == BIG.read(start, 300)
            beyond = await http.get(str(link.uri), headers={"Range": f"bytes={BIG.size}-"})
            assert beyond.status_code == 416


async def test_a_link_dies_when_the_account_is_disconnected(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(60):
        async with mcp_over_http(tmp_path, world, demo) as (_, client), httpx.AsyncClient() as http:
            _, link = await link_to(client, demo, demo.big_document_message_id)
            result = await client.call_tool("disconnect_telegram_account", {"confirm": True})
            assert not result.is_error, result.content
            mark = world.mark()
            response = await http.get(str(link.uri))
            assert response.status_code == 404
            assert "expired or was revoked" in response.text
            assert world.calls_since(mark) == []


async def test_an_unknown_link_is_the_same_404_as_a_dead_one(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(60):
        async with serve_provisioned(tmp_path, world, demo) as server, httpx.AsyncClient() as http:
            response = await http.get(server.base_url + "/telegram/media/" + "A" * 43)
            assert response.status_code == 404
            assert response.text == "This link has expired or was revoked; ask for the file again.\n"


async def test_with_links_off_get_media_says_so_and_the_route_does_not_exist(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(60):
        async with (
            mcp_over_http(tmp_path, world, demo, MEDIA_LINKS="false") as (server, client),
            httpx.AsyncClient() as http,
        ):
            result = await client.call_tool(
                "get_media", {"peer": f"channel:{demo.archived}", "message_id": demo.big_document_message_id}
            )
            assert result.is_error
            assert "download links are turned off on this server" in str(result.content)
            response = await http.get(server.base_url + "/telegram/media/" + "A" * 43)
            assert response.status_code == 404
            assert "expired" not in response.text


async def test_an_account_serves_a_bounded_number_of_downloads_and_a_reader_leaving_frees_its_slot(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(120):
        async with mcp_over_http(tmp_path, world, demo) as (_, client), httpx.AsyncClient() as http:
            _, link = await link_to(client, demo, demo.big_document_message_id)
            async with trio.open_nursery() as nursery:
                started = trio.Semaphore(0)
                finish = trio.Event()

                async def hold_open() -> None:
                    async with http.stream("GET", str(link.uri)) as response:
                        assert response.status_code == 200
                        started.release()
                        await finish.wait()  # reads nothing more: the reader then leaves mid-file

                for _ in range(MAX_STREAMS_PER_ACCOUNT):
                    nursery.start_soon(hold_open)
                for _ in range(MAX_STREAMS_PER_ACCOUNT):
                    await started.acquire()
                busy = await http.get(str(link.uri), headers={"Range": "bytes=0-9"})
                assert busy.status_code == 429
                finish.set()
            # the server learns of each reader leaving from its connection closing, a moment later
            while (freed := await http.get(str(link.uri), headers={"Range": "bytes=0-9"})).status_code == 429:
                await trio.sleep(0.05)
            assert freed.status_code == 206
            assert freed.content == BIG.read(0, 10)


def test_a_file_a_browser_would_run_is_served_as_plain_bytes() -> None:
    assert _safe_type("text/html") == "application/octet-stream"
    assert _safe_type("image/svg+xml") == "application/octet-stream"
    assert _safe_type("application/javascript") == "application/octet-stream"
    assert _safe_type("application/pdf") == "application/pdf"


def test_byte_ranges_follow_rfc_9110_for_the_forms_served() -> None:
    assert _byte_range(None, 100) == (0, 99)
    assert _byte_range("bytes=10-", 100) == (10, 99)
    assert _byte_range("bytes=10-500", 100) == (10, 99)
    assert _byte_range("bytes=100-", 100) is None
    assert _byte_range("bytes=0-0,5-6", 100) == (0, 99)  # several ranges: the whole file


def rss_of(pid: int) -> int:
    """Resident memory of process ``pid`` now, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


async def test_streaming_20_mb_grows_the_servers_memory_by_far_less_than_the_file(demo: DemoWorld) -> None:
    with trio.fail_after(180):
        async with (
            start_demo() as server,
            httpx2.AsyncClient() as mcp_http,
            Client(streamable_http_client(server.url + "/mcp", http_client=mcp_http)) as client,
            httpx.AsyncClient(timeout=60) as http,
        ):
            _, link = await link_to(client, demo, demo.big_document_message_id)
            warm = await http.get(str(link.uri), headers={"Range": f"bytes=0-{2 * MIB - 1}"})
            assert len(warm.content) == 2 * MIB  # every code path the stream takes is loaded now
            before = peak = rss_of(server.process.pid)
            received = 0
            async with http.stream("GET", str(link.uri)) as response:
                async for piece in response.aiter_bytes():
                    received += len(piece)
                    peak = max(peak, rss_of(server.process.pid))
            assert received == BIG.size
            assert peak - before < 20 * 1000 * 1000, f"RSS grew {(peak - before) / MIB:.1f} MiB"


async def test_a_links_token_never_reaches_a_log_line_at_debug(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with captured_logs(logging.DEBUG, sandbox=True) as logs, trio.fail_after(60):
        async with mcp_over_http(tmp_path, world, demo) as (_, client), httpx.AsyncClient() as http:
            _, link = await link_to(client, demo, demo.big_document_message_id)
            response = await http.get(str(link.uri), headers={"Range": "bytes=0-99"})
            gone = await http.get(str(link.uri)[:-4] + "AAAA")
    token = str(link.uri).rsplit("/", 1)[1]
    assert response.status_code == 206
    assert gone.status_code == 404
    assert "/telegram/media/<token>" in logs.getvalue()  # the route is logged by its template
    assert token not in logs.getvalue()
    assert token[:-4] not in logs.getvalue()


async def test_a_link_dies_when_its_chat_is_no_longer_shared(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(60):
        async with mcp_over_http(tmp_path, world, demo) as (_, client), httpx.AsyncClient() as http:
            _, link = await link_to(client, demo, demo.big_document_message_id)
            narrowed = await client.call_tool("set_shared_chats", {"chats": [f"chat:{demo.group}"]})
            assert not narrowed.is_error, narrowed.content
            mark = world.mark()
            response = await http.get(str(link.uri))
    assert response.status_code == 404
    assert "upload.GetFileRequest" not in world.calls_since(mark)
