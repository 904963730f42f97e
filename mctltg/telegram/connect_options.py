"""Where and how Telegram is reached: production, test servers, a custom DC, a proxy.

Operators choose with settings (``TG_TEST_SERVERS``, ``TG_DC_ADDR``/``TG_DC_ID``/
``TG_DC_RSA_KEY_FILE``, ``TG_PROXY``); this module turns them into what Telethon
understands: ``TelegramClient`` keyword arguments, the data center a *fresh* session
starts on (a resumed session keeps the DC it was logged in on), and the custom
server's RSA key, which Telethon keeps in a process-wide table (``rsa.add_key``) and
uses only for the key exchange of a new auth key.

Everything is validated once, at startup: a malformed PEM file or proxy URL is a
``ConfigError`` naming the variable, never a failure in the middle of a login.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import rsa
from telethon.crypto import rsa as telethon_rsa
from telethon.network.connection import ConnectionTcpFull, ConnectionTcpMTProxyRandomizedIntermediate

from mctltg.config import split_host_port
from mctltg.errors import ConfigError

__all__ = ["TEST_DC", "ConnectOptions", "DataCenter", "build_connect_options"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DataCenter:
    """A data center a fresh session is pointed at before its first connect."""

    dc_id: int
    host: str
    port: int


#: Telegram's test DC 2 (https://core.telegram.org/api/auth#test-accounts); Telethon ships its key.
TEST_DC: Final = DataCenter(dc_id=2, host="149.154.167.40", port=443)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectOptions:
    """How clients reach Telegram; the default is production over plain TCP.

    ``proxy`` holds credentials or an MTProxy secret: it is excluded from ``repr``.
    """

    data_center: DataCenter | None = None
    rsa_key: rsa.PublicKey | None = field(default=None, repr=False)
    proxy: Any = field(default=None, repr=False)
    mtproxy: bool = False

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``TelegramClient`` (connection class and proxy)."""
        connection = ConnectionTcpMTProxyRandomizedIntermediate if self.mtproxy else ConnectionTcpFull
        kwargs: dict[str, Any] = {"connection": connection}
        if self.proxy is not None:
            kwargs["proxy"] = self.proxy
        return kwargs

    def prepare(self, client: Any) -> None:
        """After constructing ``client``: register the custom key, point a fresh session at the DC.

        A session that already holds an auth key stays on its own DC: the key is only
        valid there.
        """
        if self.rsa_key is not None:
            telethon_rsa.add_key(self.rsa_key.save_pkcs1(), old=False)  # Telethon wants PKCS#1 PEM
        session = client.session
        if self.data_center is not None and session.auth_key is None:
            dc = self.data_center
            session.set_dc(dc.dc_id, dc.host, dc.port)


def build_connect_options(
    *,
    test_servers: bool = False,
    dc_addr: str | None = None,
    dc_id: int | None = None,
    rsa_key_file: Path | None = None,
    proxy_url: str | None = None,
) -> ConnectOptions:
    """Validate the operator's connection settings into ``ConnectOptions``.

    Raises:
        ConfigError: the RSA key file is not a PEM public key, or the proxy URL is malformed.
    """
    data_center: DataCenter | None = TEST_DC if test_servers else None
    if dc_addr is not None:
        host, port = split_host_port(dc_addr)
        data_center = DataCenter(dc_id=dc_id or 2, host=host, port=port)
    key = _read_rsa_key(rsa_key_file) if rsa_key_file is not None else None
    proxy: Any = None
    mtproxy = False
    if proxy_url:
        proxy, mtproxy = _parse_proxy(proxy_url)
    return ConnectOptions(data_center=data_center, rsa_key=key, proxy=proxy, mtproxy=mtproxy)


def _read_rsa_key(path: Path) -> rsa.PublicKey:
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ConfigError("TG_DC_RSA_KEY_FILE", f"cannot be read ({exc.strerror})") from None
    try:
        if b"-----BEGIN RSA PUBLIC KEY-----" in pem:
            return rsa.PublicKey.load_pkcs1(pem)
        if b"-----BEGIN PUBLIC KEY-----" in pem:
            return rsa.PublicKey.load_pkcs1_openssl_pem(pem)
    except Exception:  # rsa raises assorted pyasn1 and ValueError types for a damaged key
        pass
    raise ConfigError(
        "TG_DC_RSA_KEY_FILE",
        "is not an RSA public key in PEM form (-----BEGIN RSA PUBLIC KEY----- or -----BEGIN PUBLIC KEY-----)",
    )


def _parse_proxy(url: str) -> tuple[Any, bool]:
    """``(proxy, is_mtproxy)`` for ``TelegramClient``; the secret never enters a message."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ConfigError("TG_PROXY", "must name the proxy's host and port, e.g. socks5://127.0.0.1:1080")
    if scheme == "mtproxy":
        secret = unquote(parts.username or "")
        if not _valid_mtproxy_secret(secret):
            raise ConfigError(
                "TG_PROXY",
                "the MTProxy secret must be 32 hex characters, optionally prefixed dd "
                "(fake-TLS ee secrets are not supported)",
            )
        return (parts.hostname, port, secret), True
    if scheme not in ("socks5", "socks4", "http"):
        raise ConfigError("TG_PROXY", "must start with socks5://, socks4://, http:// or mtproxy://")
    proxy: dict[str, Any] = {"proxy_type": scheme, "addr": parts.hostname, "port": port, "rdns": True}
    if parts.username:
        proxy["username"] = unquote(parts.username)
        proxy["password"] = unquote(parts.password or "")
    return proxy, False


def _valid_mtproxy_secret(secret: str) -> bool:
    if secret[:2].lower() == "ee":
        return False  # fake-TLS secrets need a transport Telethon 1.x does not have
    text = secret[2:] if secret[:2].lower() == "dd" else secret
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return False
    return len(raw) >= 16
