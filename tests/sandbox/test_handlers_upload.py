"""Uploads and media sends through real Telethon: parts, Telegram's errors, and the sent media read back."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING, Any

import PIL.Image
import pytest
from telethon import errors, functions, types

from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

KIB = 1024


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", (width, height), (200, 30, 60)).save(out, format="PNG")
    return out.getvalue()


def _pair(world: SandboxWorld) -> tuple[int, int]:
    alice = world.add_user(first_name="Alice", username="alice")
    bob = world.add_user(first_name="Bob", username="bobby")
    world.send(sender=bob, peer=f"user:{alice}", text="Hi Alice")
    return alice, bob


def test_a_photo_uploaded_in_parts_arrives_with_its_media_and_a_later_read_shows_it(
    world: SandboxWorld,
) -> None:
    alice, bob = _pair(world)
    photo = png(640, 480)

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(alice)) as alice_client,
            open_client(world, key=world.authorize_new_key(bob)) as bob_client,
        ):
            mark = world.mark()
            peer = await alice_client.get_input_entity(bob)
            uploaded = await alice_client.upload_file(photo, file_name="board.png")
            request = functions.messages.SendMediaRequest(
                peer=peer,
                media=types.InputMediaUploadedPhoto(file=uploaded),
                message="the chalkboard",
                random_id=5,
            )
            updates = await alice_client(request)
            assert world.calls_since(mark, user_id=alice)[-2:] == [
                "upload.SaveFilePartRequest",
                "messages.SendMediaRequest",
            ]
            mine = (await alice_client.get_messages(bob, limit=1))[0]
            theirs = (await bob_client.get_messages(alice, limit=1))[0]
            for message in (mine, theirs):
                assert message.message == "the chalkboard"
                assert isinstance(message.media, types.MessageMediaPhoto)
                # Telegram keeps re-encoded sizes of a photo, the largest holding it whole.
                assert [size.type for size in message.photo.sizes] == ["s", "m", "x"]
                assert (message.photo.sizes[-1].w, message.photo.sizes[-1].h) == (640, 480)
            downloaded = await bob_client.download_media(theirs, file=bytes)
            with PIL.Image.open(io.BytesIO(downloaded)) as image:
                assert (image.format, image.size) == ("JPEG", (640, 480))
            assert mine.id == next(u.id for u in updates.updates if isinstance(u, types.UpdateMessageID))

    run(scenario)


def test_a_file_above_10_mb_goes_up_in_big_parts_and_keeps_its_name_and_size(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    data = bytes(range(256)) * (42 * 1024)  # 10.5 MiB

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            mark = world.mark()
            named = [types.DocumentAttributeFilename(file_name="big.bin")]
            await client.send_file(bob, data, attributes=named, force_document=True)
            calls = world.calls_since(mark, user_id=alice)
            assert calls.count("upload.SaveBigFilePartRequest") == 84  # 128 KiB parts
            assert "upload.SaveFilePartRequest" not in calls
            message = (await client.get_messages(bob, limit=1))[0]
            assert message.document.size == len(data)
            assert message.file.name == "big.bin"

    run(scenario, deadline=60)


async def _raw(client: Any, request: Any) -> Any:
    return await client(request)


def _send(peer: Any, media: Any, random_id: int = 7) -> Any:
    return functions.messages.SendMediaRequest(peer=peer, media=media, message="", random_id=random_id)


@pytest.mark.parametrize(
    ("parts", "declared", "error"),
    [
        ({0: 128 * KIB}, 2, errors.FilePartMissingError),
        ({1: 100}, 2, errors.FilePart0MissingError),
        ({0: 100 * KIB, 1: 10}, 2, errors.FilePartSizeInvalidError),
        ({0: 128 * KIB, 1: 10, 2: 10}, 2, errors.FilePartsInvalidError),
    ],
)
def test_a_small_file_with_missing_or_irregular_parts_is_refused_when_used(
    world: SandboxWorld, parts: dict[int, int], declared: int, error: type[Exception]
) -> None:
    alice, bob = _pair(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            for index, size in parts.items():
                assert await client(
                    functions.upload.SaveFilePartRequest(file_id=1, file_part=index, bytes=b"x" * size)
                )
            document = types.InputMediaUploadedDocument(
                file=types.InputFile(id=1, parts=declared, name="a.bin", md5_checksum=""),
                mime_type="application/octet-stream",
                attributes=[],
            )
            peer = await client.get_input_entity(bob)
            with pytest.raises(error) as caught:
                await client(_send(peer, document))
            if isinstance(caught.value, errors.FilePartMissingError):
                assert caught.value.which == 1

    run(scenario)
    assert world.history(viewer=alice, peer=f"user:{bob}")[0].text == "Hi Alice"


def test_part_errors_use_telegrams_names(world: SandboxWorld) -> None:
    alice, _bob = _pair(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            with pytest.raises(errors.FilePartEmptyError):
                await client(functions.upload.SaveFilePartRequest(file_id=2, file_part=0, bytes=b""))
            with pytest.raises(errors.FilePartTooBigError):
                await client(
                    functions.upload.SaveFilePartRequest(file_id=2, file_part=0, bytes=b"x" * 600 * KIB)
                )
            with pytest.raises(errors.FilePartInvalidError):
                await client(functions.upload.SaveFilePartRequest(file_id=2, file_part=-1, bytes=b"x"))
            big = functions.upload.SaveBigFilePartRequest
            with pytest.raises(errors.FilePartSizeInvalidError):
                await client(big(file_id=3, file_part=0, file_total_parts=3, bytes=b"x" * 1000))
            with pytest.raises(errors.FilePartsInvalidError):
                await client(big(file_id=3, file_part=0, file_total_parts=0, bytes=b"x" * KIB))

    run(scenario)


def test_a_wrong_md5_and_a_file_that_is_no_image_are_refused(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    photo = png()

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            peer = await client.get_input_entity(bob)
            await client(functions.upload.SaveFilePartRequest(file_id=4, file_part=0, bytes=photo))
            wrong = types.InputFile(id=4, parts=1, name="a.png", md5_checksum="0" * 32)
            with pytest.raises(errors.Md5ChecksumInvalidError):
                await client(_send(peer, types.InputMediaUploadedPhoto(file=wrong)))
            await client(functions.upload.SaveFilePartRequest(file_id=5, file_part=0, bytes=b"<html>"))
            html = types.InputFile(
                id=5, parts=1, name="a.png", md5_checksum=hashlib.md5(b"<html>").hexdigest()
            )
            with pytest.raises(errors.ImageProcessFailedError):
                await client(_send(peer, types.InputMediaUploadedPhoto(file=html)))

    run(scenario)
    assert world.history(viewer=alice, peer=f"user:{bob}")[0].text == "Hi Alice"


def test_a_random_id_is_used_once_and_upload_media_can_be_sent_later(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    photo = png(300, 200)

    async def scenario() -> None:
        # RANDOM_ID_DUPLICATE is a 500 (a "server error"), which Telethon retries: once is enough here.
        once = {"request_retries": 1, "raise_last_call_error": True}
        async with open_client(world, key=world.authorize_new_key(alice), **once) as client:
            peer = await client.get_input_entity(bob)
            uploaded = await client.upload_file(photo, file_name="p.png")
            media = await client(
                functions.messages.UploadMediaRequest(
                    peer=peer, media=types.InputMediaUploadedPhoto(file=uploaded)
                )
            )
            assert isinstance(media, types.MessageMediaPhoto)
            again = types.InputMediaPhoto(
                id=types.InputPhoto(
                    id=media.photo.id, access_hash=media.photo.access_hash, file_reference=b""
                )
            )
            await client(_send(peer, again, random_id=99))
            with pytest.raises(errors.RandomIdDuplicateError):
                await client(_send(peer, again, random_id=99))
            latest = (await client.get_messages(bob, limit=1))[0]
            assert (latest.photo.sizes[-1].w, latest.photo.sizes[-1].h) == (300, 200)

    run(scenario)
    assert len(world.history(viewer=bob, peer=f"user:{alice}")) == 2
