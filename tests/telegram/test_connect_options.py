"""Connection settings reach real Telethon: test servers, a custom DC with its RSA key, proxies.

The network tests stand up silent loopback servers (a "data center", a SOCKS5 proxy,
an MTProxy) and check what real Telethon sends them, from settings all the way down.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import rsa
import trio
from telethon.crypto import rsa as telethon_rsa
from telethon.network.connection import ConnectionTcpFull, ConnectionTcpMTProxyRandomizedIntermediate

from mctltg.accounts import LoginStep
from mctltg.app import open_services
from mctltg.config import load_settings
from mctltg.errors import ConfigError, TelegramTimeout
from mctltg.telegram import (
    ClientOptions,
    SealedSession,
    TelegramConnection,
    TelethonFactory,
    build_connect_options,
    open_asyncio_bridge,
)
from mctltg.telegram.connect_options import TEST_DC, DataCenter


class _Recorder:
    """A loopback TCP server that records what arrives and never answers."""

    def __init__(
        self, handshake: Callable[[trio.SocketStream, _Recorder], Awaitable[None]] | None = None
    ) -> None:
        self.received = b""
        self.got_bytes = trio.Event()
        self.target: tuple[str, int] | None = None
        self._handshake = handshake
        self.port = 0

    async def handle(self, stream: trio.SocketStream) -> None:
        if self._handshake is not None:
            await self._handshake(stream, self)
        async for chunk in stream:
            self.received += chunk
            self.got_bytes.set()


async def _socks5(stream: trio.SocketStream, recorder: _Recorder) -> None:
    greeting = await stream.receive_some(2)
    await stream.receive_some(greeting[1])
    await stream.send_all(b"\x05\x00")  # no authentication
    head = await stream.receive_some(4)
    assert head[:3] == b"\x05\x01\x00"
    host = ".".join(str(b) for b in await stream.receive_some(4))
    port = int.from_bytes(await stream.receive_some(2), "big")
    recorder.target = (host, port)
    await stream.send_all(b"\x05\x00\x00\x01" + bytes(6))


@pytest.fixture
async def open_recorder() -> AsyncIterator[Callable[..., Awaitable[_Recorder]]]:
    async with trio.open_nursery() as nursery:

        async def start(handshake: Any = None) -> _Recorder:
            recorder = _Recorder(handshake)
            serve = functools.partial(trio.serve_tcp, recorder.handle, 0, host="127.0.0.1")
            listeners = await nursery.start(serve)
            recorder.port = listeners[0].socket.getsockname()[1]
            return recorder

        yield start
        nursery.cancel_scope.cancel()


def _options(**connect: Any) -> ClientOptions:
    return ClientOptions(
        api_id=1,
        api_hash="0" * 32,
        device_name="mctltg tests",
        app_version="test",
        connect=build_connect_options(**connect),
    )


async def _connect_against(options: ClientOptions, *, timeout: float = 1) -> None:
    async with open_asyncio_bridge() as bridge:
        connection = TelegramConnection(bridge, TelethonFactory(options), SealedSession(), call_timeout=1)
        try:
            with pytest.raises(TelegramTimeout):
                await connection.connect(timeout=timeout)
        finally:
            with trio.CancelScope(shield=True):
                await connection.disconnect()


def test_production_over_plain_tcp_is_the_default() -> None:
    options = build_connect_options()
    assert options.client_kwargs() == {"connection": ConnectionTcpFull}
    assert options.data_center is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "socks5://127.0.0.1:1080",
            {"proxy_type": "socks5", "addr": "127.0.0.1", "port": 1080, "rdns": True},
        ),
        (
            "socks5://ann:p%40ss@proxy.example:1080",
            {
                "proxy_type": "socks5",
                "addr": "proxy.example",
                "port": 1080,
                "rdns": True,
                "username": "ann",
                "password": "p@ss",
            },
        ),
        ("http://10.0.0.1:3128", {"proxy_type": "http", "addr": "10.0.0.1", "port": 3128, "rdns": True}),
    ],
)
def test_a_socks_or_http_proxy_url_becomes_telethons_proxy_argument(
    url: str, expected: dict[str, Any]
) -> None:
    assert build_connect_options(proxy_url=url).client_kwargs() == {
        "connection": ConnectionTcpFull,
        "proxy": expected,
    }


def test_an_mtproxy_url_selects_the_mtproxy_transport() -> None:
    secret = "dd" + secrets.token_hex(16)
    kwargs = build_connect_options(proxy_url=f"mtproxy://{secret}@mt.example:443").client_kwargs()
    assert kwargs == {
        "connection": ConnectionTcpMTProxyRandomizedIntermediate,
        "proxy": ("mt.example", 443, secret),
    }
    assert secret not in repr(build_connect_options(proxy_url=f"mtproxy://{secret}@mt.example:443"))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1:21",
        "socks5://127.0.0.1",
        "mtproxy://nothex@mt.example:443",
        "mtproxy://ee0123456789abcdef0123456789abcdef@mt.example:443",
    ],
)
def test_a_malformed_proxy_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="TG_PROXY"):
        build_connect_options(proxy_url=url)


def test_a_custom_dc_key_is_registered_and_a_fresh_session_starts_on_that_dc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telethon_rsa, "_server_keys", dict(telethon_rsa._server_keys))
    public, _ = rsa.newkeys(512)
    pem = tmp_path / "dc.pem"
    pem.write_bytes(public.save_pkcs1())
    options = build_connect_options(dc_addr="dc.example:4430", dc_id=3, rsa_key_file=pem)
    assert options.data_center == DataCenter(dc_id=3, host="dc.example", port=4430)

    class Client:
        session = SealedSession()

    options.prepare(Client)
    assert telethon_rsa._compute_fingerprint(public) in telethon_rsa._server_keys
    assert (Client.session.dc_id, Client.session.server_address, Client.session.port) == (
        3,
        "dc.example",
        4430,
    )


def test_a_session_that_already_has_a_key_keeps_its_own_dc() -> None:
    class Client:
        session = SealedSession.with_auth_key(bytes(256), dc_id=4, address="149.154.167.91", port=443)

    build_connect_options(test_servers=True).prepare(Client)
    assert (Client.session.dc_id, Client.session.server_address) == (4, "149.154.167.91")


def test_an_rsa_key_file_that_is_not_a_pem_key_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN RSA PUBLIC KEY-----\nnot base64 at all\n-----END RSA PUBLIC KEY-----\n")
    with pytest.raises(ConfigError, match="TG_DC_RSA_KEY_FILE"):
        build_connect_options(dc_addr="127.0.0.1:443", rsa_key_file=bad)


def test_contradicting_connection_settings_are_refused_at_startup(tmp_path: Path) -> None:
    base = {"AUTH_MODE": "local-dev", "TELEGRAM_SANDBOX": "true", "ENCRYPTION_KEY": "11" * 32}
    with pytest.raises(ConfigError, match="TG_DC_ADDR"):
        load_settings(
            environ={}, overrides={**base, "TG_DC_ADDR": "127.0.0.1:443", "TG_TEST_SERVERS": "true"}
        )
    with pytest.raises(ConfigError, match="TG_DC_ID"):
        load_settings(environ={}, overrides={**base, "TG_DC_ID": "2"})
    with pytest.raises(ConfigError, match="TG_PROXY"):
        load_settings(environ={}, overrides={**base, "TG_PROXY": "socks5://nohost"})
    with pytest.raises(ConfigError, match="TG_DC_RSA_KEY_FILE"):
        load_settings(environ={}, overrides={**base, "TG_DC_RSA_KEY_FILE": str(tmp_path / "missing.pem")})


async def test_a_custom_dc_address_is_where_real_telethon_connects_and_silence_times_out(
    open_recorder: Callable[..., Awaitable[_Recorder]],
) -> None:
    dc = await open_recorder()
    with trio.fail_after(10):
        await _connect_against(_options(dc_addr=f"127.0.0.1:{dc.port}"))
        await dc.got_bytes.wait()
    assert len(dc.received) >= 4  # Telethon's first framed packet (the key exchange's req_pq)


async def test_a_socks5_proxy_carries_the_connection_to_telegrams_test_dc(
    open_recorder: Callable[..., Awaitable[_Recorder]],
) -> None:
    proxy = await open_recorder(_socks5)
    with trio.fail_after(10):
        await _connect_against(_options(test_servers=True, proxy_url=f"socks5://127.0.0.1:{proxy.port}"))
        await proxy.got_bytes.wait()
    assert proxy.target == (TEST_DC.host, TEST_DC.port)


async def test_an_mtproxy_receives_the_obfuscated_handshake(
    open_recorder: Callable[..., Awaitable[_Recorder]],
) -> None:
    mtproxy = await open_recorder()
    secret = "dd" + secrets.token_hex(16)
    with trio.fail_after(10):
        # Telethon's MTProxy transport first waits 2 s for the proxy to object; a deadline inside
        # that wait leaves its socket to the garbage collector, so this one ends after it.
        await _connect_against(
            _options(proxy_url=f"mtproxy://{secret}@127.0.0.1:{mtproxy.port}"), timeout=2.5
        )
        await mtproxy.got_bytes.wait()
    assert len(mtproxy.received) >= 64  # the 64-byte obfuscation header comes first


async def test_settings_reach_the_socket_through_the_whole_server(
    tmp_path: Path, open_recorder: Callable[..., Awaitable[_Recorder]]
) -> None:
    dc = await open_recorder()
    settings = load_settings(
        environ={},
        overrides={
            "AUTH_MODE": "local-dev",
            "ENCRYPTION_KEY": "11" * 32,
            "DATABASE_URL": str(tmp_path / "real.db"),
            "TG_API_ID": "12345",
            "TG_API_HASH": "0" * 32,
            "TG_DC_ADDR": f"127.0.0.1:{dc.port}",
            "TG_CONNECT_TIMEOUT": "1",
            "TG_CALL_TIMEOUT": "1",
        },
    )
    with trio.fail_after(15):
        async with open_services(settings) as services:
            identity = await services.identities.ensure("operator")
            view = await services.logins.start_qr(identity.id)
        await dc.got_bytes.wait()
    assert (view.step, view.reason) == (LoginStep.FAILED, "timeout")
    assert view.message == "Telegram did not answer in time; start the login again."
