"""What ``send_media`` accepts as a file: base64 measured before decoding, bytes that fit their kind."""

from __future__ import annotations

import base64
import io

import PIL.Image
import pytest

from mctltg.errors import InvalidInput
from mctltg.outbound import FetchPolicy
from mctltg.telegram.model import MediaUpload, UploadKind
from mctltg.tools.media_payload import Loaded, SendMediaLimits, checked_upload, decode_base64

LIMITS = SendMediaLimits(
    max_bytes=100_000, photo_max_bytes=50_000, fetch=FetchPolicy(max_bytes=100_000, timeout=5.0)
)


def _image(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", size, (1, 2, 3)).save(out, format=fmt)
    return out.getvalue()


def _loaded(data: bytes, declared: str = "", source: str = "files.test") -> Loaded:
    return Loaded(data=data, declared=declared, name_hint=None, source=source)


def _check(kind: UploadKind, loaded: Loaded, name: str | None = None) -> MediaUpload:
    return checked_upload(kind, loaded, file_name=name, caption="", limits=LIMITS)


def test_base64_too_long_is_refused_by_its_length_before_any_decoding() -> None:
    # Not even valid base64: were it decoded first, the error would say so instead.
    with pytest.raises(InvalidInput, match="more than the 1,000 bytes allowed"):
        decode_base64("!" * 2_000, 1_000)


def test_base64_that_does_not_decode_is_one_sentence() -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_base64("abc$def=", 1_000)
    assert str(caught.value) == "data_base64: is not valid base64; encode the file's bytes with base64"


def test_a_data_url_gives_its_type_and_line_breaks_are_allowed() -> None:
    encoded = base64.encodebytes(b"x" * 300).decode()  # wrapped at 76 characters
    loaded = decode_base64("data:text/plain;base64," + encoded, 300)
    assert (loaded.data, loaded.declared) == (b"x" * 300, "text/plain")


def test_exactly_the_cap_decodes_and_one_byte_more_does_not() -> None:
    assert len(decode_base64(base64.b64encode(b"y" * 999).decode(), 999).data) == 999
    with pytest.raises(InvalidInput, match="more than the 999 bytes"):
        decode_base64(base64.b64encode(b"y" * 1000).decode(), 999)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_a_photo_is_what_pillow_says_it_is_with_its_dimensions(fmt: str, mime: str) -> None:
    upload = _check("photo", _loaded(_image(fmt)))
    assert (upload.mime_type, upload.width, upload.height) == (mime, 40, 30)
    assert upload.file_name.startswith("photo.")


def test_a_photo_declared_as_another_type_or_not_an_image_is_refused() -> None:
    with pytest.raises(InvalidInput, match="declared as text/html, which is not a photo"):
        checked_upload(
            "photo", _loaded(_image("PNG"), "text/html"), file_name=None, caption="", limits=LIMITS
        )
    with pytest.raises(
        InvalidInput, match="not a JPEG, PNG or WebP image although it is declared as image/png"
    ):
        _check("photo", _loaded(b"<html>", "image/png"))


def test_photos_have_their_own_smaller_cap() -> None:
    big = b"\x89PNG" + b"\x00" * 60_000
    with pytest.raises(InvalidInput, match="a photo may be at most 50,000 bytes"):
        _check("photo", _loaded(big))
    assert _check("document", _loaded(big), "x.bin").kind == "document"


@pytest.mark.parametrize(
    ("kind", "head", "mime"),
    [
        ("video", b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        ("video", b"\x1a\x45\xdf\xa3\x01\x00", "video/webm"),
        ("audio", b"ID3\x04\x00\x00", "audio/mpeg"),
        ("audio", b"fLaC\x00\x00", "audio/flac"),
        ("voice", b"OggS\x00\x02", "audio/ogg"),
        ("animation", b"GIF89a\x01\x00", "image/gif"),
    ],
)
def test_audio_and_video_kinds_must_start_like_their_containers(
    kind: UploadKind, head: bytes, mime: str
) -> None:
    upload = _check(kind, _loaded(head + b"\x00" * 64))
    assert upload.mime_type == mime
    with pytest.raises(InvalidInput, match="does not look like"):
        _check(kind, _loaded(b"plain text, no container"))


def test_a_voice_note_declared_as_video_is_refused() -> None:
    with pytest.raises(InvalidInput, match="declared as video/mp4, which is not a voice"):
        checked_upload(
            "voice", _loaded(b"OggS" + b"\x00" * 20, "video/mp4"), file_name=None, caption="", limits=LIMITS
        )


def test_a_document_keeps_its_declared_type_and_a_clean_name() -> None:
    upload = checked_upload(
        "document",
        _loaded(b"%PDF-1.4", "application/pdf"),
        file_name="../../etc/\u202epasswd.pdf",
        caption="",
        limits=LIMITS,
    )
    assert (upload.mime_type, upload.file_name) == ("application/pdf", "passwd.pdf")
    guessed = checked_upload(
        "document", _loaded(b"a,b\n", source="data_base64"), file_name="t.csv", caption="", limits=LIMITS
    )
    assert guessed.mime_type == "text/csv"
