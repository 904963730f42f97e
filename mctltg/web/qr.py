"""Draw a ``tg://login`` link as a QR code: an SVG, server-side, as a ``data:`` URI.

Server-side so the page needs no script to show it, and as a ``data:`` URI so a
redrawn code travels in the same WebSocket message that announces it (the policy
allows ``img-src data:``). Dark modules on a white field with a quiet zone, whatever
the page's colour scheme: phone cameras need the contrast.
"""

from __future__ import annotations

import base64
import io

__all__ = ["qr_data_uri", "qr_svg"]


def qr_svg(text: str) -> bytes:
    import qrcode.image.svg  # on first use: a plain serve draws no QR code (scripts/bench-startup)

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text)).decode("ascii")
