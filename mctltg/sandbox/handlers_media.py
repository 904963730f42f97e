"""Downloads and voice transcription: ``upload.getFile`` and ``messages.transcribeAudio``.

``upload.getFile`` checks what Telegram checks, in its order: the location names a file the
caller may see (``FILE_ID_INVALID`` / ``LOCATION_INVALID``), its ``file_reference`` is the
current one (``FILE_REFERENCE_EXPIRED`` for an older one, ``FILE_REFERENCE_INVALID`` for
anything else), and the byte range follows the rules of "Uploading and Downloading Files":
``offset`` divisible by 4 KiB (1 KiB when ``precise``), ``limit`` divisible by 4 KiB
(1 KiB when ``precise``) and at most 1 MiB, a plain request's ``limit`` dividing 1 MiB and
its range not crossing a 1 MiB boundary (``OFFSET_INVALID`` / ``LIMIT_INVALID``).

``messages.transcribeAudio`` works on voice notes and round videos. Premium accounts always
may; others spend a weekly trial (``trial_remains_num``) and get ``PREMIUM_ACCOUNT_REQUIRED``
once none is left. The first answer is ``pending`` and the text follows as
``updateTranscribedAudio``; asking again answers the finished text at once.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Final

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault, push
from mctltg.sandbox.handlers_reading import readable_peer
from mctltg.sandbox.media import current_reference, reference_state
from mctltg.sandbox.render import access_hash, peer_tl
from mctltg.sandbox.tl import build, to_datetime

if TYPE_CHECKING:
    from mctltg.sandbox.media import Blob
    from mctltg.sandbox.state import PeerKey, StoredMessage, WorldState
    from mctltg.sandbox.values import SandboxMedia

__all__ = ["MAX_PART", "ROUTES", "TRIAL_PERIOD"]

MAX_PART: Final = 1024 * 1024
TRIAL_PERIOD: Final = 7 * 86400.0

_FILE_TYPES: Final[dict[str, type[Any]]] = {
    "image/jpeg": types.storage.FileJpeg,
    "image/png": types.storage.FilePng,
    "image/webp": types.storage.FileWebp,
    "image/gif": types.storage.FileGif,
    "application/pdf": types.storage.FilePdf,
    "video/mp4": types.storage.FileMp4,
    "audio/mpeg": types.storage.FileMp3,
}


def _check_range(offset: int, limit: int, *, precise: bool) -> None:
    step = 1024 if precise else 4096
    if offset < 0 or offset % step:
        raise RpcFault(400, "OFFSET_INVALID")
    if limit <= 0 or limit % step or limit > MAX_PART:
        raise RpcFault(400, "LIMIT_INVALID")
    if not precise and (MAX_PART % limit or offset // MAX_PART != (offset + limit - 1) // MAX_PART):
        raise RpcFault(400, "LIMIT_INVALID")


def _located(state: WorldState, me: int, location: Any) -> tuple[Blob, str]:
    """The bytes a location names, and their MIME type.

    Raises:
        RpcFault: the location is unknown to the caller or its reference is stale.
    """
    if not isinstance(location, types.InputPhotoFileLocation | types.InputDocumentFileLocation):
        raise RpcFault(400, "LOCATION_INVALID")
    media = state.media_files.get(location.id)
    if media is None or location.access_hash != access_hash(state, me, "media", location.id):
        raise RpcFault(400, "FILE_ID_INVALID")
    reference = bytes(location.file_reference)
    if reference != current_reference(state, location.id):
        stale = (current_reference(state, location.id, g) for g in range(reference_state(state, location.id)))
        raise RpcFault(400, "FILE_REFERENCE_EXPIRED" if reference in stale else "FILE_REFERENCE_INVALID")
    return _pick(media, location)


def _pick(media: SandboxMedia, location: Any) -> tuple[Blob, str]:
    photo = isinstance(location, types.InputPhotoFileLocation)
    if photo != (media.kind == "photo"):
        raise RpcFault(400, "LOCATION_INVALID")
    if photo or location.thumb_size:
        variants = media.sizes if photo else media.thumbs
        variant = next((v for v in variants if v.type == location.thumb_size), None)
        if variant is None:
            raise RpcFault(400, "LOCATION_INVALID")
        return variant.blob, "image/jpeg"
    if media.content is None:
        raise RpcFault(400, "FILE_ID_INVALID")
    return media.content, media.mime_type or "application/octet-stream"


def get_file(call: Call, request: Any) -> Any:
    blob, mime = _located(call.state, call.me, request.location)
    _check_range(request.offset, request.limit, precise=bool(request.precise))
    data = blob.read(request.offset, request.limit)
    kind = (
        _FILE_TYPES.get(mime, types.storage.FileUnknown) if request.offset == 0 else types.storage.FilePartial
    )
    return build(types.upload.File, type=kind(), mtime=int(call.now), bytes=data)


def _message(state: WorldState, me: int, peer: PeerKey, msg_id: int) -> StoredMessage | None:
    if peer.kind == "channel":
        return state.channels[peer.id].messages.get(msg_id)
    found = state.accounts[me].box.messages.get(msg_id)
    return found if found is not None and found.peer == peer else None


def _transcription_id(state: WorldState, me: int, media_id: int) -> int:
    digest = hashlib.blake2b(f"transcript:{me}:{media_id}".encode(), key=state.secret, digest_size=8)
    return int.from_bytes(digest.digest(), "little") >> 1 or 1


def transcribe_audio(call: Call, request: Any) -> Any:
    me = call.me
    peer = readable_peer(call, request.peer)
    message = _message(call.state, me, peer, request.msg_id)
    if message is None:
        raise RpcFault(400, "MSG_ID_INVALID")
    media = message.media
    if media is None or media.kind not in ("voice", "video_note"):
        raise RpcFault(400, "MSG_VOICE_MISSING")
    key = (me, message.media_id)
    done = call.state.transcribed.get(key)
    text = media.transcript or ""
    if done is not None:
        return build(types.messages.TranscribedAudio, transcription_id=done, text=text, pending=False)
    if not media.transcript:
        raise RpcFault(400, "TRANSCRIPTION_FAILED")
    user = call.state.users[me]
    trial: dict[str, Any] = {}
    if not user.premium:
        if user.transcription_trials <= 0:
            raise RpcFault(403, "PREMIUM_ACCOUNT_REQUIRED")
        user.transcription_trials -= 1
        trial = {
            "trial_remains_num": user.transcription_trials,
            "trial_remains_until_date": to_datetime(call.now + TRIAL_PERIOD),
        }
    transcription = _transcription_id(call.state, me, message.media_id)
    call.state.transcribed[key] = transcription
    finished = build(
        types.UpdateTranscribedAudio,
        peer=peer_tl(peer),
        msg_id=message.id,
        transcription_id=transcription,
        text=text,
        pending=False,
    )
    # The recognised text follows the answer as an update, on every connection of the account.
    push(call.state, me, [finished], (peer,), call.now)
    return build(
        types.messages.TranscribedAudio, transcription_id=transcription, text="", pending=True, **trial
    )


ROUTES: tuple[Route, ...] = (
    Route(functions.upload.GetFileRequest, get_file),
    Route(functions.messages.TranscribeAudioRequest, transcribe_audio),
)
