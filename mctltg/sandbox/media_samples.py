"""Real media for the demo world, made with Pillow: photos in Telegram's sizes, a screenshot,
a PDF, a CSV, a voice note with its transcript, a round video, a sticker and the rest.

Every sample is a pure function of its arguments; the encoded bytes are cached for the life
of the process (``functools.cache``) because every test builds a fresh demo world and
re-encoding a 5 MB photo each time would dominate the suite. Audio and video bytes are
generated (:meth:`Blob.generated`): the sandbox has no codec, so they are the right size and
type but not playable; their thumbnails are real JPEGs.
"""

from __future__ import annotations

import ctypes
import functools
import io
from typing import Final

from PIL import Image, ImageDraw

from mctltg.sandbox.media import Blob, PhotoVariant, SandboxContact, SandboxPoll, SandboxWebPage
from mctltg.sandbox.values import SandboxMedia

__all__ = [
    "PHOTO_BOXES",
    "big_photo",
    "contact",
    "csv_document",
    "generated_document",
    "location",
    "pdf_document",
    "photo",
    "photo_sizes",
    "poll",
    "screenshot",
    "sticker",
    "video_like",
    "voice_note",
    "webpage",
]

#: Telegram's photo size types and the box each is scaled into.
PHOTO_BOXES: Final = (("s", 100), ("m", 320), ("x", 800), ("y", 1280), ("w", 2560))


def _jpeg(image: Image.Image, quality: int = 85, **options: object) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality, **options)
    return out.getvalue()


def _scaled(image: Image.Image, box: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((box, box), Image.Resampling.LANCZOS)
    return copy


def _variants(
    image: Image.Image, *, largest_quality: int = 87, **largest: object
) -> tuple[PhotoVariant, ...]:
    """Telegram's sizes of ``image``: each box smaller than it, then one holding it whole."""
    side = max(image.size)
    out: list[PhotoVariant] = []
    for kind, box in PHOTO_BOXES:
        last = box >= side
        scaled = image if last else _scaled(image, box)
        data = _jpeg(scaled, largest_quality, **largest) if last else _jpeg(scaled)
        out.append(PhotoVariant(kind, scaled.width, scaled.height, Blob.of(data), progressive=last))
        if last:
            break
    return tuple(out)


def _scene(width: int, height: int, style: str) -> Image.Image:
    """A drawn picture: a chalkboard with formulas, or a landscape with a sun."""
    if style == "chalkboard":
        image = Image.new("RGB", (width, height), (28, 62, 44))
        draw = ImageDraw.Draw(image)
        for row in range(8):
            y = height * (row + 1) // 10
            draw.line(
                (width // 12, y, width * 11 // 12, y - row * 3),
                fill=(230, 230, 220),
                width=max(2, width // 400),
            )
            draw.text((width // 12, y - 24), f"B{row * 2} = {row}/{row + 6}", fill=(240, 240, 230))
        draw.ellipse(
            (width * 2 // 3, height // 8, width * 5 // 6, height // 3), outline=(250, 240, 160), width=6
        )
        return image
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 120, 60))
    draw.ellipse((width // 3, height // 6, width // 2, height // 3), fill=(250, 200, 60))
    return image


@functools.cache
def photo(width: int, height: int, style: str = "landscape") -> SandboxMedia:
    """A photo of ``width`` × ``height`` with its smaller sizes."""
    sizes = _variants(_scene(width, height, style))
    return SandboxMedia(kind="photo", size=sizes[-1].blob.size, width=width, height=height, sizes=sizes)


@functools.cache
def big_photo() -> SandboxMedia:
    """A 2560 × 1920 photo of fine noise whose largest size is about 5 MB (the benchmark's)."""
    width, height = 2560, 1920
    grain = Image.effect_noise((width, height), 100)
    ramp = Image.linear_gradient("L").resize((width, height))
    green = Image.blend(grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp, 0.4)
    blue = Image.blend(
        grain.transpose(Image.Transpose.FLIP_TOP_BOTTOM), ramp.transpose(Image.Transpose.ROTATE_180), 0.3
    )
    image = Image.merge("RGB", (grain, green, blue))
    sizes = _variants(image, largest_quality=95)
    del grain, ramp, green, blue, image
    _return_scratch_memory()
    return SandboxMedia(kind="photo", size=sizes[-1].blob.size, width=width, height=height, sizes=sizes)


def _return_scratch_memory() -> None:
    """Hand the big photo's scratch buffers back to the system.

    Making it takes about 50 MB of 2560 × 1920 planes that are freed at once, but glibc keeps
    freed heap pages for reuse, so every ``mctltg demo`` would idle 50 MB larger for a photo
    it holds as 5 MB of JPEG. ``malloc_trim`` returns them; elsewhere (no glibc) nothing is done.
    """
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _thumb(image: Image.Image, box: int = 320) -> tuple[PhotoVariant, ...]:
    small = _scaled(image, box)
    return (PhotoVariant("m", small.width, small.height, Blob.of(_jpeg(small))),)


@functools.cache
def screenshot() -> SandboxMedia:
    """A 1280 × 800 PNG of an editor window, sent as a file (not compressed as a photo)."""
    width, height = 1280, 800
    image = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 36), fill=(60, 64, 72))
    draw.text((16, 12), "note-g.txt - Engine Editor", fill=(255, 255, 255))
    for line in range(24):
        draw.text(
            (24, 56 + line * 28), f"{line + 1:>3}  V{line % 7} = V{line % 5} x V{line % 3}", fill=(30, 30, 30)
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    data = out.getvalue()
    return SandboxMedia(
        kind="document",
        mime_type="image/png",
        file_name="engine-editor.png",
        size=len(data),
        width=width,
        height=height,
        content=Blob.of(data),
        thumbs=_thumb(image),
    )


@functools.cache
def pdf_document(file_name: str) -> SandboxMedia:
    """A one-page PDF (an A4 page of notes, rendered by Pillow)."""
    page = Image.new("RGB", (595, 842), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    for line in range(30):
        draw.text(
            (48, 48 + line * 24), f"t = {line * 10:>3} s   x = {line * line * 4.9:8.1f} m", fill=(0, 0, 0)
        )
    out = io.BytesIO()
    page.save(out, "PDF", resolution=72.0)
    data = out.getvalue()
    return SandboxMedia(
        kind="document",
        mime_type="application/pdf",
        file_name=file_name,
        size=len(data),
        content=Blob.of(data),
        thumbs=_thumb(page, 90),
    )


@functools.cache
def csv_document() -> SandboxMedia:
    """The Bernoulli numbers B0..B20 as a CSV file."""
    rows = ["n,numerator,denominator"]
    table = ((0, 1, 1), (1, -1, 2), (2, 1, 6), (4, -1, 30), (6, 1, 42), (8, -1, 30), (10, 5, 66))
    rows += [f"{n},{num},{den}" for n, num, den in table]
    rows += ["12,-691,2730", "14,7,6", "16,-3617,510", "18,43867,798", "20,-174611,330"]
    data = ("\n".join(rows) + "\n").encode()
    return SandboxMedia(
        kind="document",
        mime_type="text/csv",
        file_name="bernoulli.csv",
        size=len(data),
        content=Blob.of(data),
    )


def _waveform(samples: int = 100) -> bytes:
    """``samples`` 5-bit levels packed little-endian, as Telegram sends a voice note's waveform."""
    levels = [(i * 7 + (i * i) % 11) % 32 for i in range(samples)]
    bits = 0
    for index, level in enumerate(levels):
        bits |= level << (5 * index)
    return bits.to_bytes((5 * samples + 7) // 8, "little")


def voice_note(seconds: int, transcript: str, seed: int) -> SandboxMedia:
    """An Opus voice note (generated bytes at 16 kbit/s) that Telegram can transcribe."""
    size = seconds * 2000
    return SandboxMedia(
        kind="voice",
        mime_type="audio/ogg",
        size=size,
        duration=float(seconds),
        content=Blob.generated(size, seed),
        waveform=_waveform(),
        transcript=transcript,
    )


@functools.cache
def _round_thumb() -> tuple[PhotoVariant, ...]:
    image = Image.new("RGB", (240, 240), (20, 20, 20))
    ImageDraw.Draw(image).ellipse((20, 20, 220, 220), fill=(200, 160, 120))
    return _thumb(image)


def video_like(
    kind: str, seconds: int, size: int, seed: int, *, width: int, height: int, **extra: object
) -> SandboxMedia:
    """A video, round video note, animation or audio track: generated bytes, a real thumbnail."""
    thumbs = () if kind == "audio" else _round_thumb()
    return SandboxMedia(
        kind=kind,  # type: ignore[arg-type]  # the callers pass one of the video or audio kinds
        size=size,
        duration=float(seconds),
        width=width if kind != "audio" else None,
        height=height if kind != "audio" else None,
        content=Blob.generated(size, seed),
        thumbs=thumbs,
        **extra,  # type: ignore[arg-type]  # file_name, transcript, title, performer
    )


@functools.cache
def sticker() -> SandboxMedia:
    """A 512 × 512 static WebP sticker."""
    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse(
        (32, 32, 480, 480), fill=(255, 204, 0, 255), outline=(120, 80, 0, 255), width=12
    )
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80)
    data = out.getvalue()
    return SandboxMedia(
        kind="sticker",
        mime_type="image/webp",
        file_name="sticker.webp",
        size=len(data),
        width=512,
        height=512,
        content=Blob.of(data),
    )


def generated_document(file_name: str, mime_type: str, size: int, seed: int) -> SandboxMedia:
    """A large document whose bytes exist only while they are read."""
    return SandboxMedia(
        kind="document",
        mime_type=mime_type,
        file_name=file_name,
        size=size,
        content=Blob.generated(size, seed),
    )


def poll() -> SandboxMedia:
    return SandboxMedia(
        kind="poll",
        poll=SandboxPoll(
            question="Which engine should we build first?",
            options=("Difference Engine", "Analytical Engine", "Both at once"),
            votes=(3, 5, 1),
        ),
    )


def location() -> SandboxMedia:
    """The Royal Institution, 21 Albemarle Street, London."""
    return SandboxMedia(kind="location", geo=(51.509865, -0.142483))


def contact() -> SandboxMedia:
    return SandboxMedia(
        kind="contact", contact=SandboxContact(phone="+9996620007", first_name="Michael", last_name="Faraday")
    )


def webpage() -> SandboxMedia:
    return SandboxMedia(
        kind="webpage",
        webpage=SandboxWebPage(
            url="https://www.rigb.org/explore-science/explore/blog/faraday-lectures",
            site_name="Royal Institution",
            title="The Christmas Lectures",
            description="Since 1825, science for young people at the Royal Institution.",
        ),
    )


def photo_sizes(image: Image.Image) -> tuple[PhotoVariant, ...]:
    """Telegram's sizes of a photo someone sent (``messages.sendMedia``), made as for the samples."""
    return _variants(image)
