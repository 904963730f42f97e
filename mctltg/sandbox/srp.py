"""The server half of Telegram's SRP 2FA check (https://core.telegram.org/api/srp).

The client half is Telethon's own ``password.compute_check``; the hashing primitives are
shared with it, so both sides agree byte for byte. The group is Telegram's 2048-bit prime
with g = 3, which Telethon accepts without factorizing it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from telethon import password as tlpassword
from telethon.tl import types

from mctltg.sandbox.tl import build

__all__ = ["SRP_G", "SRP_PRIME", "SrpSession", "SrpVerifier", "check", "kdf_algo", "make_verifier", "start"]

SRP_PRIME = bytes.fromhex(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f"
    "48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37"
    "20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64"
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4"
    "a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754"
    "fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4"
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f"
    "0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b"
)
SRP_G = 3
_P = int.from_bytes(SRP_PRIME, "big")


@dataclass(frozen=True, slots=True)
class SrpVerifier:
    """What the server stores for a password: the salts and v = g^x mod p."""

    salt1: bytes
    salt2: bytes
    v: int
    hint: str = ""


@dataclass(frozen=True, slots=True)
class SrpSession:
    """One ``account.getPassword`` answer: the server's secret b and public B."""

    srp_id: int
    b: int
    big_b: bytes


def kdf_algo(salt1: bytes, salt2: bytes) -> Any:
    """The ``PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`` object."""
    return build(
        types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow,
        salt1=salt1,
        salt2=salt2,
        g=SRP_G,
        p=SRP_PRIME,
    )


def make_verifier(password: str) -> SrpVerifier:
    """Derive the verifier for ``password`` (one PBKDF2 run, about 0.1 s)."""
    salt1 = secrets.token_bytes(40)
    salt2 = secrets.token_bytes(16)
    x = int.from_bytes(tlpassword.compute_hash(kdf_algo(salt1, salt2), password), "big")
    return SrpVerifier(salt1=salt1, salt2=salt2, v=pow(SRP_G, x, _P))


def _k() -> int:
    g_for_hash = tlpassword.big_num_for_hash(SRP_G)
    return int.from_bytes(tlpassword.sha256(tlpassword.num_bytes_for_hash(SRP_PRIME), g_for_hash), "big")


def start(verifier: SrpVerifier) -> SrpSession:
    """Pick the server secret b and compute B = k·v + g^b mod p."""
    while True:
        b = int.from_bytes(secrets.token_bytes(256), "big")
        big_b = (_k() * verifier.v + pow(SRP_G, b, _P)) % _P
        if tlpassword.is_good_mod_exp_first(big_b, _P):
            return SrpSession(
                srp_id=secrets.randbits(62) + 1,
                b=b,
                big_b=tlpassword.big_num_for_hash(big_b),
            )


def check(verifier: SrpVerifier, session: SrpSession, a_bytes: bytes, m1: bytes) -> bool:
    """Whether the client's (A, M1) proves knowledge of the password."""
    big_a = int.from_bytes(a_bytes, "big")
    if not tlpassword.is_good_large(big_a, _P):
        return False
    a_for_hash = tlpassword.big_num_for_hash(big_a)
    u = int.from_bytes(tlpassword.sha256(a_for_hash, session.big_b), "big")
    s = pow(big_a * pow(verifier.v, u, _P), session.b, _P)
    k_session = tlpassword.sha256(tlpassword.big_num_for_hash(s))
    p_for_hash = tlpassword.num_bytes_for_hash(SRP_PRIME)
    g_for_hash = tlpassword.big_num_for_hash(SRP_G)
    expected = tlpassword.sha256(
        tlpassword.xor(tlpassword.sha256(p_for_hash), tlpassword.sha256(g_for_hash)),
        tlpassword.sha256(verifier.salt1),
        tlpassword.sha256(verifier.salt2),
        a_for_hash,
        session.big_b,
        k_session,
    )
    return hmac.compare_digest(expected, bytes(m1))
