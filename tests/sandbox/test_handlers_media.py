"""Downloads and transcription through real Telethon: ``upload.getFile``'s byte ranges and
rules, expired file references, the seeded media kinds, and ``messages.transcribeAudio``."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from telethon import errors, events, functions, types

from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.sandbox.faults import Fault
from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run


def _location(document: types.Document) -> types.InputDocumentFileLocation:
    return types.InputDocumentFileLocation(
        id=document.id,
        access_hash=document.access_hash,
        file_reference=document.file_reference,
        thumb_size="",
    )


def test_a_photo_downloads_in_every_size_and_decodes(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs()
            message = await client.get_messages(demo.photo_chat, ids=demo.photo_message_id)
            sizes = message.photo.sizes
            assert [s.type for s in sizes] == ["s", "m", "x", "y", "w"]
            assert isinstance(sizes[-1], types.PhotoSizeProgressive)
            largest = await client.download_media(message, file=bytes)
            small = await client.download_media(message, file=bytes, thumb="m")
            assert Image.open(io.BytesIO(largest)).size == (1600, 1200)
            assert Image.open(io.BytesIO(small)).size == (320, 240)

    run(scenario)


def test_a_large_document_streams_its_exact_generated_bytes_in_chunks(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)
    peer = f"channel:{demo.media_channel}"
    media = world.media(viewer=demo.me, peer=peer, message_id=demo.big_document_message_id)
    assert media is not None
    assert media.content is not None
    assert media.size == 20 * 1024 * 1024

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs(archived=True)
            message = await client.get_messages(demo.media_channel, ids=demo.big_document_message_id)
            chunks = []
            offset = 3 * 1024 * 1024
            async for chunk in client.iter_download(
                message.document, offset=offset, request_size=512 * 1024, limit=3
            ):
                chunks.append(chunk)
            assert [len(c) for c in chunks] == [512 * 1024] * 3
            assert b"".join(chunks) == media.content.read(offset, 3 * 512 * 1024)
            location = _location(message.document)
            tail = await client(
                functions.upload.GetFileRequest(location, offset=media.size - 4096, limit=4096)
            )
            assert tail.bytes == media.content.read(media.size - 4096, 4096)
            assert isinstance(tail.type, types.storage.FilePartial)
            past = await client(functions.upload.GetFileRequest(location, offset=media.size, limit=4096))
            assert past.bytes == b""

    run(scenario)


@pytest.mark.parametrize(
    ("offset", "limit", "precise", "error"),
    [
        (0, 1000, False, errors.LimitInvalidError),  # not a multiple of 4 KiB
        (0, 3 * 4096, False, errors.LimitInvalidError),  # does not divide 1 MiB
        (0, 2 * 1024 * 1024, True, errors.LimitInvalidError),  # more than 1 MiB
        (1024 * 1024 - 4096, 8192, False, errors.LimitInvalidError),  # crosses a 1 MiB boundary
        (100, 4096, False, errors.OffsetInvalidError),  # offset not a multiple of 4 KiB
        (1024, 4096, False, errors.OffsetInvalidError),  # 1 KiB steps need precise
    ],
)
def test_get_file_refuses_ranges_telegram_refuses(
    world: SandboxWorld, offset: int, limit: int, precise: bool, error: type[Exception]
) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs(archived=True)
            message = await client.get_messages(demo.media_channel, ids=demo.big_document_message_id)
            request = functions.upload.GetFileRequest(
                _location(message.document), offset=offset, limit=limit, precise=precise
            )
            with pytest.raises(error):
                await client(request)

    run(scenario)


def test_precise_requests_take_one_kib_steps_across_a_boundary(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs(archived=True)
            message = await client.get_messages(demo.media_channel, ids=demo.big_document_message_id)
            request = functions.upload.GetFileRequest(
                _location(message.document), offset=1024 * 1024 - 1024, limit=3072, precise=True
            )
            assert len((await client(request)).bytes) == 3072

    run(scenario)


def test_an_expired_file_reference_is_refused_until_the_message_is_fetched_again(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)
    peer = f"channel:{demo.media_channel}"

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs(archived=True)
            old = await client.get_messages(demo.media_channel, ids=demo.text_document_message_id)
            world.expire_file_references(viewer=demo.me, peer=peer, message_id=demo.text_document_message_id)
            request = functions.upload.GetFileRequest(_location(old.document), offset=0, limit=4096)
            with pytest.raises(errors.FileReferenceExpiredError):
                await client(request)
            fresh = await client.get_messages(demo.media_channel, ids=demo.text_document_message_id)
            answer = await client(
                functions.upload.GetFileRequest(_location(fresh.document), offset=0, limit=4096)
            )
            assert answer.bytes.startswith(b"n,numerator,denominator\n")

    run(scenario)


def test_a_flood_wait_on_downloads_can_be_scripted(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)
    world.add_fault(Fault.flood_wait(30, request="upload.GetFileRequest"))

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            client.flood_sleep_threshold = 0
            await client.get_dialogs(archived=True)
            message = await client.get_messages(demo.media_channel, ids=demo.text_document_message_id)
            with pytest.raises(errors.FloodWaitError):
                await client(
                    functions.upload.GetFileRequest(_location(message.document), offset=0, limit=4096)
                )

    run(scenario)


def test_every_seeded_kind_reads_back_as_telegram_sends_it(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs(archived=True)
            ids = [
                demo.voice_message_id,
                demo.video_note_message_id,
                demo.sticker_message_id,
                demo.poll_message_id,
                demo.location_message_id,
                demo.contact_message_id,
                demo.webpage_message_id,
                demo.screenshot_message_id,
            ]
            voice, note, sticker, poll, geo, contact, page, shot = await client.get_messages(
                demo.media_channel, ids=ids
            )
            assert voice.voice is not None
            assert voice.file.duration == 7
            assert voice.document.attributes[0].waveform
            assert note.video_note is not None
            assert sticker.sticker is not None
            assert sticker.file.mime_type == "image/webp"
            assert [a.voters for a in poll.media.results.results] == [3, 5, 1]
            assert round(geo.geo.lat, 3) == 51.510
            assert contact.contact.first_name == "Michael"
            assert page.web_preview.site_name == "Royal Institution"
            assert shot.file.mime_type == "image/png"
            assert shot.file.width == 1280

    run(scenario)


def test_a_voice_note_is_transcribed_by_a_pending_answer_then_an_update(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs(archived=True)
            channel = await client.get_input_entity(types.PeerChannel(demo.media_channel))
            arrived: asyncio.Future[str] = asyncio.get_running_loop().create_future()

            async def on_update(update: object) -> None:
                if isinstance(update, types.UpdateTranscribedAudio) and not arrived.done():
                    arrived.set_result(update.text)

            client.add_event_handler(on_update, events.Raw)
            first = await client(functions.messages.TranscribeAudioRequest(channel, demo.voice_message_id))
            assert first.pending
            assert (await asyncio.wait_for(arrived, 5)).startswith("The coil experiment works")
            again = await client(functions.messages.TranscribeAudioRequest(channel, demo.voice_message_id))
            assert not again.pending
            assert again.transcription_id == first.transcription_id

    run(scenario)


def test_an_account_without_premium_spends_its_trials_then_is_refused(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)
    world.allow_transcriptions(demo.second, trials=1)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.second)) as client:
            await client.get_dialogs(archived=True)
            channel = await client.get_input_entity(types.PeerChannel(demo.media_channel))
            trial = await client(functions.messages.TranscribeAudioRequest(channel, demo.voice_message_id))
            assert trial.trial_remains_num == 0
            with pytest.raises(errors.PremiumAccountRequiredError):
                await client(functions.messages.TranscribeAudioRequest(channel, demo.video_note_message_id))
            with pytest.raises(errors.BadRequestError, match="MSG_VOICE_MISSING"):
                await client(functions.messages.TranscribeAudioRequest(channel, demo.sticker_message_id))

    run(scenario)
