"""Security headers for every response the web app sends.

The pages carry no inline script and no inline style, so the Content-Security-Policy
can be strict: scripts, styles, fetches and WebSockets from this origin only, images
from this origin or ``data:`` (the QR code is drawn server-side as an SVG data URI),
forms posting only here, no framing anywhere (clickjacking a consent or a "delete"
button is the attack this stops), no ``<base>``. A response that already set its own
policy (the OAuth consent page must also allow its redirect target) keeps it.

Personal pages say ``Cache-Control: no-store`` themselves; any HTML response that
says nothing about caching gets ``no-store`` too, so forgetting it is safe. The four
public pages opt in to short public caching explicitly (:data:`PUBLIC_CACHE`).
"""

from __future__ import annotations

from typing import Final

from quart import Response

__all__ = ["CSP", "NO_STORE", "PUBLIC_CACHE", "apply_security_headers"]

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
NO_STORE: Final = "no-store"
PUBLIC_CACHE: Final = "public, max-age=300"


async def apply_security_headers(response: Response) -> Response:
    """The app-wide ``after_request`` hook (see the module docstring)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = CSP
    if (response.mimetype or "") == "text/html" and "Cache-Control" not in headers:
        headers["Cache-Control"] = NO_STORE
    return response
