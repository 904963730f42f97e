"""Sealing secrets at rest, random tokens and digests; the only module that imports pynacl.

A Telethon session is the keys to a person's Telegram account, so it is never stored as
plaintext: :class:`Sealer` seals it with XChaCha20-Poly1305 (an AEAD with a 24-byte
random nonce, so nonces never need bookkeeping) before it reaches the database. The
associated data names the database row the blob belongs to, so a blob copied into
another row (``bound_to`` differs) does not open, and an attacker with write access to
the database cannot swap one person's session into another person's account.

Blob layout (version 1)::

    0x01 | key fingerprint (4 bytes) | nonce (24 bytes) | ciphertext + tag (16 bytes)

The fingerprint is a keyed, personalised BLAKE2b digest of the key, truncated to 4
bytes: it tells which key sealed the blob (so keys can rotate: the server holds one
primary key and any number of previous keys) without revealing anything about the key.
Every failure to open raises :class:`~mctltg.errors.SealError` with a message that names
the row but never carries key, plaintext or blob bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Final

import nacl.bindings
import nacl.exceptions
import nacl.utils

from mctltg.errors import SealError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "KEY_BYTES",
    "Sealer",
    "constant_time_equal",
    "derive_key",
    "mac_hex",
    "new_key",
    "random_token",
    "sha256_hex",
]

KEY_BYTES: Final = 32

_VERSION: Final = b"\x01"
_FINGERPRINT_BYTES: Final = 4
_NONCE_BYTES: Final = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
_TAG_BYTES: Final = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
_HEADER_BYTES: Final = len(_VERSION) + _FINGERPRINT_BYTES + _NONCE_BYTES
_AAD_PREFIX: Final = b"mctltg/v1|"
# BLAKE2b personalisation is at most 16 bytes; this one is used for nothing else.
_FINGERPRINT_PERSON: Final = b"mctltg/key-id/v1"
_FINGERPRINT_INPUT: Final = b"mctltg key fingerprint"


def _check_key(key: object, *, which: str) -> bytes:
    if not isinstance(key, bytes | bytearray):
        raise ValueError(f"{which} must be {KEY_BYTES} raw bytes (got {type(key).__name__})")
    if len(key) != KEY_BYTES:
        raise ValueError(f"{which} must be exactly {KEY_BYTES} bytes (got {len(key)})")
    return bytes(key)


def _fingerprint(key: bytes) -> bytes:
    digest = nacl.bindings.crypto_generichash_blake2b_salt_personal(
        _FINGERPRINT_INPUT, digest_size=16, key=key, person=_FINGERPRINT_PERSON
    )
    return digest[:_FINGERPRINT_BYTES]


def _aad(bound_to: str) -> bytes:
    return _AAD_PREFIX + bound_to.encode("utf-8")


class Sealer:
    """Seals small blobs (Telethon sessions) with XChaCha20-Poly1305 AEAD, bound to a row.

    Args:
        key: the primary 32-byte key; every new blob is sealed with it.
        previous_keys: keys that sealed older blobs; they still open, and
            :meth:`needs_reseal` reports such blobs so callers can seal them again
            with the primary key.

    Raises:
        ValueError: a key is not exactly 32 bytes.
    """

    __slots__ = ("_fingerprint", "_keys")

    def __init__(self, key: bytes, *, previous_keys: Sequence[bytes] = ()) -> None:
        primary = _check_key(key, which="the encryption key")
        keys: list[tuple[bytes, bytes]] = [(_fingerprint(primary), primary)]
        for index, given in enumerate(previous_keys, start=1):
            old = _check_key(given, which=f"previous key #{index}")
            if all(not hmac.compare_digest(old, known) for _, known in keys):
                keys.append((_fingerprint(old), old))
        self._fingerprint = keys[0][0]
        # Primary first: open() tries keys in this order.
        self._keys: tuple[tuple[bytes, bytes], ...] = tuple(keys)

    def __repr__(self) -> str:
        return f"<Sealer with {len(self._keys)} key(s)>"

    def seal(self, plaintext: bytes, *, bound_to: str) -> bytes:
        """Seal ``plaintext`` with the primary key so it opens only with the same ``bound_to``.

        Args:
            plaintext: the secret bytes.
            bound_to: the row the blob will live in, e.g. ``"telegram_account:7"``.
        """
        nonce = nacl.utils.random(_NONCE_BYTES)
        _, key = self._keys[0]
        ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            bytes(plaintext), _aad(bound_to), nonce, key
        )
        return _VERSION + self._fingerprint + nonce + ciphertext

    def open(self, blob: bytes, *, bound_to: str) -> bytes:
        """Open a blob sealed by :meth:`seal` for the same ``bound_to``.

        Raises:
            SealError: on any failure: a malformed blob, an unknown format version, a key
                this sealer does not hold, or failed authentication (tampered bytes, a
                blob moved from another row, or sealed with another key).
        """
        data = bytes(blob)
        if len(data) < _HEADER_BYTES + _TAG_BYTES:
            raise SealError(f"sealed blob for {bound_to} is truncated or not a sealed blob")
        if data[:1] != _VERSION:
            raise SealError(f"sealed blob for {bound_to} has a format version this mctltg cannot open")
        fingerprint = data[1 : 1 + _FINGERPRINT_BYTES]
        nonce = data[1 + _FINGERPRINT_BYTES : _HEADER_BYTES]
        ciphertext = data[_HEADER_BYTES:]
        aad = _aad(bound_to)
        # A 4-byte fingerprint may collide; every key that matches gets a try.
        for candidate_fingerprint, key in self._keys:
            if not hmac.compare_digest(candidate_fingerprint, fingerprint):
                continue
            try:
                return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)
            except nacl.exceptions.CryptoError:
                continue
        # Same sentence for "no such key" and "authentication failed": telling them
        # apart would only help someone probing which keys the server holds.
        raise SealError(
            f"sealed blob for {bound_to} failed authentication (tampered, moved, or sealed with another key)"
        )

    def needs_reseal(self, blob: bytes) -> bool:
        """Whether ``blob`` was sealed with a previous key and should be sealed again.

        This reads only the header; it does not authenticate the blob. A blob from an
        unknown key or format returns False, because this sealer could not re-seal it.
        """
        data = bytes(blob)
        if len(data) < _HEADER_BYTES + _TAG_BYTES or data[:1] != _VERSION:
            return False
        fingerprint = data[1 : 1 + _FINGERPRINT_BYTES]
        if hmac.compare_digest(fingerprint, self._fingerprint):
            return False
        return any(hmac.compare_digest(fingerprint, fp) for fp, _ in self._keys[1:])


_DERIVE_PERSON: Final = b"mctltg/derive/v1"


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one ``purpose``, derived from ``master`` (e.g. ``ENCRYPTION_KEY``).

    Keyed BLAKE2b with its own personalisation: knowing a derived key reveals nothing
    about the master key or about the key derived for any other purpose.

    Raises:
        ValueError: ``master`` is not exactly 32 bytes, or ``purpose`` is empty.
    """
    key = _check_key(master, which="the master key")
    if not purpose:
        raise ValueError("a derived key needs a purpose")
    return nacl.bindings.crypto_generichash_blake2b_salt_personal(
        purpose.encode("utf-8"), digest_size=KEY_BYTES, key=key, person=_DERIVE_PERSON
    )


def mac_hex(key: bytes, label: str, *fields: object) -> str:
    """HMAC-SHA256 under ``key`` over ``label`` and length-prefixed ``fields`` (None is distinct from "")."""
    mac = hmac.new(key, label.encode("utf-8"), hashlib.sha256)
    for field in fields:
        data = b"\xff" if field is None else str(field).encode("utf-8")
        mac.update(len(data).to_bytes(4, "big"))
        mac.update(data)
    return mac.hexdigest()


def new_key() -> bytes:
    """Return a fresh random 32-byte key (for `mctltg keygen` and tests)."""
    return nacl.utils.random(KEY_BYTES)


def random_token(nbytes: int = 32) -> str:
    """Return a URL-safe random token carrying ``nbytes`` bytes of entropy.

    Raises:
        ValueError: ``nbytes`` is not positive.
    """
    if nbytes < 1:
        raise ValueError(f"a token needs at least one random byte (got {nbytes})")
    return secrets.token_urlsafe(nbytes)


def sha256_hex(data: bytes | str) -> str:
    """Return the lowercase hex SHA-256 of ``data`` (a ``str`` is hashed as UTF-8)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def constant_time_equal(a: bytes | str, b: bytes | str) -> bool:
    """Compare two secrets in time that does not depend on where they differ.

    ``str`` values are compared as UTF-8, so a ``str`` and its encoded ``bytes`` are equal.
    """
    left = a.encode("utf-8") if isinstance(a, str) else a
    right = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(left, right)
