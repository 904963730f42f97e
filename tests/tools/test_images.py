"""fit_image: any picture Telegram holds comes out as a JPEG within the side, pixel and byte budget."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mctltg.tools.images import NotAnImage, fit_image


def _encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def _noise(width: int, height: int) -> Image.Image:
    grain = Image.effect_noise((width, height), 80)
    return Image.merge(
        "RGB", (grain, grain.rotate(90, expand=False), grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )


def test_a_large_photo_is_scaled_to_the_side_and_pixel_budget_keeping_its_shape() -> None:
    fitted = fit_image(
        _encoded(_noise(3000, 2000), "JPEG"), max_side=1568, max_pixels=1_150_000, max_bytes=10**7
    )
    image = Image.open(io.BytesIO(fitted.data))
    assert image.format == "JPEG"
    assert image.width * image.height <= 1_150_000
    assert max(image.size) <= 1568
    assert abs(image.width / image.height - 1.5) < 0.01


def test_a_noisy_image_steps_down_until_its_bytes_fit() -> None:
    fitted = fit_image(
        _encoded(_noise(1200, 900), "PNG"), max_side=1568, max_pixels=1_150_000, max_bytes=40_000
    )
    assert len(fitted.data) <= 40_000
    assert Image.open(io.BytesIO(fitted.data)).size == (fitted.width, fitted.height)


def test_a_transparent_sticker_is_flattened_onto_white() -> None:
    sticker = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    fitted = fit_image(_encoded(sticker, "WEBP"), max_side=512, max_pixels=1_150_000, max_bytes=100_000)
    assert Image.open(io.BytesIO(fitted.data)).getpixel((10, 10)) == (255, 255, 255)


def test_a_small_image_is_not_enlarged() -> None:
    fitted = fit_image(
        _encoded(_noise(90, 60), "PNG"), max_side=1568, max_pixels=1_150_000, max_bytes=100_000
    )
    assert (fitted.width, fitted.height) == (90, 60)


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(NotAnImage):
        fit_image(b"%PDF-1.4 not an image", max_side=100, max_pixels=10_000, max_bytes=10_000)


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    bomb = _encoded(Image.new("1", (8000, 8000)), "PNG")  # small file, 64 megapixels
    assert len(bomb) < 100_000
    with pytest.raises(NotAnImage, match="too many pixels"):
        fit_image(bomb, max_side=100, max_pixels=10_000, max_bytes=10_000)
