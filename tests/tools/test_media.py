"""get_media and get_messages(with_images=true) over the real MCP HTTP path, on the sandbox:
photos as image blocks within the budget, text documents as text, voice as Telegram's own
transcript, a clear sentence for each thing that cannot be served, and no download where
none is needed."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import trio
from mcp import Client
from mcp_types import CallToolResult, EmbeddedResource, ImageContent, TextContent, TextResourceContents
from PIL import Image

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.sandbox.faults import Fault
from tests.harness.inprocess import serve_in_process
from tests.harness.settings import sandbox_settings

GET_FILE = "upload.GetFileRequest"


@contextlib.asynccontextmanager
async def _client(
    tmp_path: Path, world: SandboxWorld, user_id: int, **settings: str
) -> AsyncIterator[Client]:
    async with serve_in_process(sandbox_settings(tmp_path, **settings), world) as server:
        await provision_sandbox_account(server.services, telegram_user_id=user_id)
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                # The media live in an archived channel: list it once, as a model would.
                listed = await client.call_tool("list_dialogs", {"folder": "archived"})
                assert not listed.is_error
                yield client


def _archive(demo: DemoWorld) -> str:
    return f"channel:{demo.media_channel}"


def _image(result: CallToolResult) -> Image.Image:
    assert not result.is_error, result.structured_content
    assert isinstance(result.content[0], TextContent)  # the JSON first, the image after it
    block = result.content[1]
    assert isinstance(block, ImageContent)
    assert block.mime_type == "image/jpeg"
    data = base64.b64decode(block.data)
    image = Image.open(io.BytesIO(data))
    image.load()
    image.info["bytes"] = len(data)
    return image


def _error(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error
    assert result.structured_content is not None
    return result.structured_content


async def test_a_photo_comes_back_as_an_image_from_the_smallest_size_that_suffices(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with _client(tmp_path, world, demo.me, MEDIA_IMAGE_MAX_SIDE="320") as client:
        mark = world.mark()
        result = await client.call_tool(
            "get_media", {"peer": f"user:{demo.photo_chat}", "message_id": demo.photo_message_id}
        )
        calls = world.calls_since(mark)
    image = _image(result)
    assert image.size == (320, 240)  # the "m" size, not the 1600 px original
    assert calls.count(GET_FILE) == 1
    assert result.structured_content is not None
    media = result.structured_content["media"]
    assert (media["kind"], media["width"], media["height"]) == ("photo", 1600, 1200)


async def test_the_five_megabyte_photo_fits_the_byte_and_pixel_budget(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    budget = 300_000
    async with _client(
        tmp_path, world, demo.me, MEDIA_IMAGE_MAX_BYTES=str(budget), TG_CALL_TIMEOUT="20"
    ) as client:
        result = await client.call_tool(
            "get_media", {"peer": _archive(demo), "message_id": demo.big_photo_message_id}
        )
    image = _image(result)
    assert image.info["bytes"] <= budget
    assert max(image.size) <= 1568
    assert image.width * image.height <= 1_150_000


async def test_a_sticker_a_screenshot_file_and_a_videos_thumbnail_come_back_as_images(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    archive = _archive(demo)
    async with _client(tmp_path, world, demo.me) as client:
        sticker = await client.call_tool(
            "get_media", {"peer": archive, "message_id": demo.sticker_message_id}
        )
        shot = await client.call_tool(
            "get_media", {"peer": archive, "message_id": demo.screenshot_message_id}
        )
        thumb = await client.call_tool(
            "get_media", {"peer": archive, "message_id": demo.video_message_id, "mode": "thumbnail"}
        )
    assert _image(sticker).size == (512, 512)
    assert _image(shot).size == (1280, 800)
    assert max(_image(thumb).size) <= 320


async def test_a_text_document_comes_back_as_wrapped_text(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with _client(tmp_path, world, demo.me) as client:
        result = await client.call_tool(
            "get_media", {"peer": _archive(demo), "message_id": demo.text_document_message_id}
        )
    assert not result.is_error
    block = result.content[1]
    assert isinstance(block, EmbeddedResource)
    assert isinstance(block.resource, TextResourceContents)
    assert block.resource.mime_type == "text/csv"
    assert block.resource.text.startswith("<msg-")
    assert "12,-691,2730" in block.resource.text
    assert result.structured_content is not None
    assert result.structured_content["media"]["file_name"] == "bernoulli.csv"


async def test_a_voice_note_comes_back_as_telegrams_transcript(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with _client(tmp_path, world, demo.me, TG_CALL_TIMEOUT="10") as client:
        mark = world.mark()
        result = await client.call_tool(
            "get_media", {"peer": _archive(demo), "message_id": demo.voice_message_id, "mode": "transcript"}
        )
        calls = world.calls_since(mark)
    assert not result.is_error, result.structured_content
    out = result.structured_content
    assert out is not None
    assert "move the magnet and the needle jumps" in out["transcript"]
    assert "pending" not in out
    assert GET_FILE not in calls  # Telegram transcribes; nothing is downloaded


async def test_an_account_without_premium_is_told_it_cannot_transcribe(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with _client(tmp_path, world, demo.second) as client:
        result = await client.call_tool(
            "get_media", {"peer": _archive(demo), "message_id": demo.voice_message_id, "mode": "transcript"}
        )
    error = _error(result)
    assert error["code"] == "PREMIUM_ACCOUNT_REQUIRED"
    assert "needs Telegram Premium" in error["message"]
    assert error["message"].count(".") == 1  # one sentence


async def test_every_unservable_request_is_one_sentence_without_a_download(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    archive = _archive(demo)
    text_message = next(
        m.id for m in world.history(viewer=demo.me, peer=archive) if m.text.startswith("Lecture")
    )
    cases = {
        "unknown message": ({"peer": archive, "message_id": 99_999}, "no message with that id"),
        "no attachment": ({"peer": archive, "message_id": text_message}, "has no attachment"),
        "too large": ({"peer": archive, "message_id": demo.big_document_message_id}, "links are turned off"),
        "audio": ({"peer": archive, "message_id": demo.audio_message_id}, "cannot be returned inline"),
        "voice": ({"peer": archive, "message_id": demo.voice_message_id}, "mode transcript gives its text"),
        "not transcribable": (
            {"peer": archive, "message_id": demo.sticker_message_id, "mode": "transcript"},
            "only voice notes and round videos",
        ),
        "no file": ({"peer": archive, "message_id": demo.poll_message_id}, "a poll has no file"),
        "no thumbnail": (
            {"peer": archive, "message_id": demo.text_document_message_id, "mode": "thumbnail"},
            "has no thumbnail",
        ),
    }
    async with _client(tmp_path, world, demo.me) as client:
        for name, (arguments, expected) in cases.items():
            mark = world.mark()
            error = _error(await client.call_tool("get_media", arguments))
            calls = world.calls_since(mark)
            assert expected in error["message"], name
            assert "\n" not in error["message"], name
            assert GET_FILE not in calls, name
            assert "messages.TranscribeAudioRequest" not in calls, name


async def test_a_text_document_over_the_cap_is_not_downloaded(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with _client(tmp_path, world, demo.me, MEDIA_TEXT_MAX_BYTES="100") as client:
        mark = world.mark()
        result = await client.call_tool(
            "get_media", {"peer": _archive(demo), "message_id": demo.text_document_message_id}
        )
        calls = world.calls_since(mark)
    assert "cannot be returned inline" in _error(result)["message"]
    assert GET_FILE not in calls


async def test_an_expired_file_reference_is_renewed_by_reading_the_message_again(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.rpc_error(400, "FILE_REFERENCE_EXPIRED", request=GET_FILE))
    async with _client(tmp_path, world, demo.me) as client:
        mark = world.mark()
        result = await client.call_tool(
            "get_media", {"peer": _archive(demo), "message_id": demo.text_document_message_id}
        )
        calls = [c for c in world.calls_since(mark) if c in (GET_FILE, "channels.GetMessagesRequest")]
    assert not result.is_error, result.structured_content
    assert calls == ["channels.GetMessagesRequest", GET_FILE, "channels.GetMessagesRequest", GET_FILE]


async def test_a_page_with_images_keeps_them_all_within_one_budget(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    budget = 40_000
    async with _client(tmp_path, world, demo.me, MEDIA_PAGE_IMAGES_MAX_BYTES=str(budget)) as client:
        result = await client.call_tool(
            "get_messages", {"peer": _archive(demo), "limit": 50, "with_images": True}
        )
    assert not result.is_error, result.structured_content
    assert isinstance(result.content[0], TextContent)
    images = result.content[1:]
    assert images
    assert all(isinstance(block, ImageContent) for block in images)
    total = sum(len(base64.b64decode(block.data)) for block in images if isinstance(block, ImageContent))
    assert total <= budget
    assert result.structured_content is not None
    shown = result.structured_content["images"]
    assert len(shown) == len(images)
    assert shown[0] == demo.big_photo_message_id  # newest first


async def test_a_page_without_with_images_downloads_nothing(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with _client(tmp_path, world, demo.me) as client:
        mark = world.mark()
        result = await client.call_tool("get_messages", {"peer": _archive(demo), "limit": 50})
        calls = world.calls_since(mark)
    assert len(result.content) == 1
    assert GET_FILE not in calls
    assert result.structured_content is not None
    kinds = {m["media"]["kind"] for m in result.structured_content["messages"] if "media" in m}
    assert {"photo", "voice", "video_note", "sticker", "poll", "location", "contact", "webpage"} <= kinds
    poll = next(
        m["media"] for m in result.structured_content["messages"] if m.get("id") == demo.poll_message_id
    )
    assert [o["votes"] for o in poll["options"]] == [3, 5, 1]
