"""What the authorization server keeps while a person signs in upstream."""

from __future__ import annotations

from pathlib import Path

from mctltg.oauth.rfc7636 import s256
from tests.harness.disk import disk_bytes
from tests.harness.oauth import REDIRECT, VERIFIER, Harness


def _database_file(h: Harness) -> str:
    url = h.services.settings.database_url
    return url.removeprefix("sqlite:///").removeprefix("sqlite://")


async def test_the_upstream_pkce_verifier_never_reaches_the_database(harness: Harness) -> None:
    h = harness
    server = h.parts.server
    pending = await server.begin(
        {
            "response_type": ["code"],
            "client_id": [h.client_id],
            "redirect_uri": [REDIRECT],
            "code_challenge": [s256(VERIFIER)],
            "code_challenge_method": ["S256"],
        }
    )
    path = _database_file(h)
    assert Path(path).exists()
    assert pending.upstream_verifier.encode() not in disk_bytes(path)
    # The callback recomputes it from the state the provider sends back.
    assert server.upstream_verifier(pending.upstream_state) == pending.upstream_verifier
    assert server.upstream_verifier("another state") != pending.upstream_verifier
