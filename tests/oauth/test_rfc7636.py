"""PKCE (RFC 7636): the S256 challenge only, checked against the RFC's own example."""

from __future__ import annotations

import pytest

from mctltg.oauth.errors import AuthorizeError
from mctltg.oauth.rfc7636 import check_challenge, s256, verify


def test_s256_matches_the_rfc_7636_appendix_b_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verify("x" * 43, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verify("short", s256("short"))


@pytest.mark.parametrize(
    ("challenge", "method"), [(None, "S256"), ("E" * 43, "plain"), ("E" * 43, None), ("too-short", "S256")]
)
def test_pkce_parameters_other_than_a_s256_challenge_are_refused(
    challenge: str | None, method: str | None
) -> None:
    with pytest.raises(AuthorizeError):
        check_challenge(challenge, method)
