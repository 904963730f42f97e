"""Sealing, tokens and digests (mctltg/crypto.py)."""

from __future__ import annotations

import hashlib

import pytest

from mctltg.crypto import (
    KEY_BYTES,
    Sealer,
    constant_time_equal,
    new_key,
    random_token,
    sha256_hex,
)
from mctltg.errors import SealError

SECRET = b"telethon-session:" + bytes(range(64))


def test_a_sealed_blob_opens_to_the_same_bytes() -> None:
    sealer = Sealer(new_key())

    blob = sealer.seal(SECRET, bound_to="telegram_account:7")

    assert sealer.open(blob, bound_to="telegram_account:7") == SECRET


def test_sealing_twice_gives_different_blobs_that_hide_the_plaintext() -> None:
    sealer = Sealer(new_key())

    first = sealer.seal(SECRET, bound_to="telegram_account:7")
    second = sealer.seal(SECRET, bound_to="telegram_account:7")

    assert first != second
    assert SECRET not in first
    assert SECRET[:16] not in first


def test_the_blob_has_a_version_byte_fingerprint_nonce_and_tag() -> None:
    sealer = Sealer(new_key())

    blob = sealer.seal(b"abc", bound_to="x")

    assert blob[0] == 0x01
    assert len(blob) == 1 + 4 + 24 + 3 + 16


def test_a_blob_opened_for_another_row_fails() -> None:
    sealer = Sealer(new_key())
    blob = sealer.seal(SECRET, bound_to="telegram_account:7")

    with pytest.raises(SealError, match="telegram_account:8"):
        sealer.open(blob, bound_to="telegram_account:8")


def test_flipping_any_single_byte_makes_the_blob_fail() -> None:
    sealer = Sealer(new_key())
    blob = sealer.seal(b"tiny", bound_to="telegram_account:1")

    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(SealError):
            sealer.open(bytes(tampered), bound_to="telegram_account:1")


def test_truncated_and_empty_blobs_fail() -> None:
    sealer = Sealer(new_key())
    blob = sealer.seal(b"tiny", bound_to="a")

    for length in range(len(blob)):
        with pytest.raises(SealError):
            sealer.open(blob[:length], bound_to="a")


def test_a_blob_sealed_with_another_key_fails() -> None:
    blob = Sealer(new_key()).seal(SECRET, bound_to="telegram_account:7")

    with pytest.raises(SealError, match="failed authentication"):
        Sealer(new_key()).open(blob, bound_to="telegram_account:7")


def test_a_previous_key_still_opens_and_asks_for_a_reseal() -> None:
    old_key, new = new_key(), new_key()
    old_blob = Sealer(old_key).seal(SECRET, bound_to="telegram_account:7")
    rotated = Sealer(new, previous_keys=[old_key])

    assert rotated.open(old_blob, bound_to="telegram_account:7") == SECRET
    assert rotated.needs_reseal(old_blob) is True
    fresh = rotated.seal(SECRET, bound_to="telegram_account:7")
    assert rotated.needs_reseal(fresh) is False
    assert Sealer(new).open(fresh, bound_to="telegram_account:7") == SECRET


def test_a_blob_from_an_unknown_key_does_not_ask_for_a_reseal() -> None:
    blob = Sealer(new_key()).seal(SECRET, bound_to="a")

    assert Sealer(new_key(), previous_keys=[new_key()]).needs_reseal(blob) is False
    assert Sealer(new_key()).needs_reseal(b"\x01short") is False


def test_seal_errors_never_contain_key_plaintext_or_blob_bytes() -> None:
    key = new_key()
    blob = Sealer(key).seal(SECRET, bound_to="telegram_account:7")
    other = Sealer(new_key(), previous_keys=[new_key()])
    failures: list[SealError] = []
    for bad_blob, bound_to in [
        (blob, "telegram_account:7"),
        (blob[:10], "telegram_account:7"),
        (b"\x02" + blob[1:], "telegram_account:7"),
    ]:
        with pytest.raises(SealError) as caught:
            other.open(bad_blob, bound_to=bound_to)
        failures.append(caught.value)
    with pytest.raises(SealError) as caught:
        Sealer(key).open(blob, bound_to="telegram_account:8")
    failures.append(caught.value)

    for failure in failures:
        text = str(failure) + repr(failure)
        for secret in (key, SECRET, blob):
            assert not _leaks(secret, text)
        assert failure.__cause__ is None
        assert failure.__context__ is None


def _leaks(secret: bytes, text: str) -> bool:
    windows = [secret[i : i + 6] for i in range(0, len(secret) - 5, 3)]
    return any(
        form in text
        for window in windows
        for form in (window.hex(), window.decode("latin-1"), repr(window)[2:-1])
    )


def test_the_sealer_repr_shows_no_key() -> None:
    key = new_key()

    text = repr(Sealer(key, previous_keys=[new_key()]))

    assert key.hex() not in text
    assert text == "<Sealer with 2 key(s)>"


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_a_key_of_the_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Sealer(b"k" * length)
    with pytest.raises(ValueError, match="previous key #1"):
        Sealer(new_key(), previous_keys=[b"k" * length])


def test_a_key_that_is_not_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="raw bytes"):
        Sealer("k" * KEY_BYTES)  # type: ignore[arg-type]  # the point of the test


def test_new_keys_are_32_random_bytes() -> None:
    keys = {new_key() for _ in range(8)}

    assert len(keys) == 8
    assert all(len(key) == KEY_BYTES for key in keys)


def test_random_tokens_are_url_safe_and_distinct() -> None:
    tokens = {random_token() for _ in range(8)}

    assert len(tokens) == 8
    for token in tokens:
        assert len(token) == 43  # 32 bytes in unpadded base64url
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(random_token(16)) == 22
    with pytest.raises(ValueError):
        random_token(0)


def test_sha256_hex_hashes_strings_as_utf8() -> None:
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert sha256_hex("é") == hashlib.sha256("é".encode()).hexdigest()


def test_constant_time_equal_compares_bytes_and_strings() -> None:
    assert constant_time_equal("token", "token")
    assert constant_time_equal("token", b"token")
    assert constant_time_equal("é", "é".encode())
    assert not constant_time_equal("token", "tokem")
    assert not constant_time_equal(b"token", b"token!")
