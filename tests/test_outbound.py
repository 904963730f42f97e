"""The outbound fetcher refuses what it must, over a real loopback https server with a test CA."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio

from mctltg.outbound import FetchPolicy, OutboundError, fetch, refusal_for
from tests.harness.https_files import HttpsFiles, Route, serve_https_files

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[HttpsFiles]:
    async with serve_https_files(tmp_path) as server:
        yield server


def _policy(files: HttpsFiles, **changes: Any) -> FetchPolicy:
    values: dict[str, Any] = {
        "max_bytes": 64 * 1024,
        "timeout": 10.0,
        "trusted_hosts": frozenset({"localhost"}),
        "ssl_context": files.ssl_context(),
    }
    values.update(changes)
    return FetchPolicy(**values)


async def _refusal(url: str, policy: FetchPolicy) -> OutboundError:
    with trio.fail_after(15), pytest.raises(OutboundError) as caught:
        await fetch(url, policy)
    message = str(caught.value)
    assert message.endswith(".")
    assert "Traceback" not in message
    assert "\n" not in message
    return caught.value


class _Resolver(trio.abc.HostnameResolver):
    """Test DNS: names map to scripted answers, one list per lookup (the last one repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def getaddrinfo(self, host: bytes | str | None, port: Any, *args: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.lookups.append(name)
        script = self.answers[name]
        addresses = script.pop(0) if len(script) > 1 else script[0]
        out = []
        for text in addresses:
            fam = socket.AF_INET6 if ":" in text else socket.AF_INET
            sockaddr = (text, int(port), 0, 0) if fam == socket.AF_INET6 else (text, int(port))
            out.append((fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return out

    async def getnameinfo(self, sockaddr: Any, flags: int) -> Any:
        raise NotImplementedError


async def test_a_file_is_fetched_from_a_trusted_loopback_host_with_its_type(files: HttpsFiles) -> None:
    files.routes["/cat.png"] = Route(content_type="image/png; charset=binary", body=PNG)
    files.redirect("/latest", "/cat.png")
    with trio.fail_after(15):
        fetched = await fetch(files.url("/latest?sig=secret"), _policy(files))
    assert fetched.body == PNG
    assert fetched.content_type == "image/png"
    assert fetched.url == files.url("/cat.png")
    assert files.hits == ["/latest", "/cat.png"]


async def test_an_url_that_is_not_https_is_refused(files: HttpsFiles) -> None:
    error = await _refusal(f"http://localhost:{files.port}/cat.png", _policy(files))
    assert error.reason == "not_https"
    assert str(error) == "The URL for localhost is not an https URL; only https is fetched."
    assert files.hits == []


async def test_a_host_resolving_to_loopback_is_refused_unless_trusted(files: HttpsFiles) -> None:
    files.routes["/cat.png"] = Route(body=PNG)
    error = await _refusal(files.url("/cat.png"), _policy(files, trusted_hosts=frozenset()))
    assert error.reason == "private_address"
    assert str(error) == "localhost resolves to a loopback address; only public addresses are fetched."
    assert files.hits == []


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "[::1]",
        "[fe80::1]",
        "[fd00:ec2::254]",
        "[::ffff:127.0.0.1]",
        "[2002:a00:1::]",
        "[64:ff9b::a9fe:a9fe]",
    ],
)
async def test_a_literal_non_public_address_is_refused(host: str) -> None:
    policy = FetchPolicy(max_bytes=1024, timeout=5.0)
    error = await _refusal(f"https://{host}/latest/meta-data/", policy)
    assert error.reason == "private_address"
    assert "only public addresses are fetched" in str(error)


async def test_a_host_with_one_private_address_among_public_ones_is_refused() -> None:
    resolver = _Resolver({"mixed.example": [["93.184.215.14", "10.1.2.3"]]})
    trio.socket.set_custom_hostname_resolver(resolver)
    error = await _refusal("https://mixed.example/file", FetchPolicy(max_bytes=1024, timeout=5.0))
    assert error.reason == "private_address"
    assert "mixed.example resolves to a private address" in str(error)


def test_metadata_unspecified_and_multicast_stay_refused_for_trusted_hosts() -> None:
    for text in ("169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0", "ff02::1"):
        assert refusal_for(ipaddress.ip_address(text), trusted=True) is not None, text
    assert refusal_for(ipaddress.ip_address("127.0.0.1"), trusted=True) is None
    assert refusal_for(ipaddress.ip_address("93.184.215.14")) is None
    assert refusal_for(ipaddress.ip_address("2606:4700:4700::1111")) is None


async def test_a_redirect_to_a_private_address_is_refused(files: HttpsFiles) -> None:
    files.routes["/cat.png"] = Route(body=PNG)
    files.redirect("/hop", files.url("/cat.png", host="127.0.0.1"))
    error = await _refusal(files.url("/hop"), _policy(files))
    assert error.reason == "redirect_private"
    assert error.host == "127.0.0.1"
    assert "redirected to 127.0.0.1, which resolves to a loopback address" in str(error)
    assert files.hits == ["/hop"]


async def test_a_redirect_to_plain_http_is_refused(files: HttpsFiles) -> None:
    files.redirect("/hop", f"http://localhost:{files.port}/cat.png")
    error = await _refusal(files.url("/hop"), _policy(files))
    assert error.reason == "not_https"
    assert "redirected to a URL that is not https" in str(error)


async def test_redirects_beyond_the_maximum_are_refused(files: HttpsFiles) -> None:
    for n in range(5):
        files.redirect(f"/r{n}", f"/r{n + 1}")
    error = await _refusal(files.url("/r0"), _policy(files, max_redirects=2))
    assert error.reason == "too_many_redirects"
    assert files.hits == ["/r0", "/r1", "/r2"]


async def test_a_body_declared_larger_than_the_cap_is_refused(files: HttpsFiles) -> None:
    files.routes["/big"] = Route(body=b"x" * 100_000)
    error = await _refusal(files.url("/big"), _policy(files, max_bytes=50_000))
    assert error.reason == "too_large"
    assert str(error) == "The file at localhost is larger than the 50,000 bytes allowed."


async def test_a_chunked_body_stops_being_read_at_the_cap(files: HttpsFiles) -> None:
    files.routes["/big"] = Route(body=b"x" * 200_000, chunked=True)
    error = await _refusal(files.url("/big"), _policy(files, max_bytes=50_000))
    assert error.reason == "too_large"
    files.routes["/fits"] = Route(body=b"y" * 50_000, chunked=True)
    with trio.fail_after(15):
        assert len((await fetch(files.url("/fits"), _policy(files, max_bytes=50_000))).body) == 50_000


async def test_a_server_that_never_answers_times_out(files: HttpsFiles) -> None:
    files.routes["/slow"] = Route(stall=True)
    error = await _refusal(files.url("/slow?token=abc"), _policy(files, timeout=0.5))
    assert error.reason == "timeout"
    assert str(error) == "Fetching from localhost timed out after 0.5 seconds."


async def test_a_certificate_not_from_a_trusted_ca_is_refused(files: HttpsFiles) -> None:
    files.routes["/cat.png"] = Route(body=PNG)
    error = await _refusal(files.url("/cat.png"), _policy(files, ssl_context=None))
    assert error.reason == "unreachable"
    assert "localhost could not be reached over https" in str(error)


async def test_the_connection_goes_to_the_address_that_was_vetted(files: HttpsFiles) -> None:
    """A second DNS answer (a rebinding attempt) is never asked for, let alone used."""
    files.routes["/cat.png"] = Route(content_type="image/png", body=PNG)
    resolver = _Resolver({"rebind.test": [["127.0.0.1"], ["10.255.255.1"]]})
    trio.socket.set_custom_hostname_resolver(resolver)
    policy = _policy(files, trusted_hosts=frozenset({"rebind.test"}))
    with trio.fail_after(15):
        fetched = await fetch(files.url("/cat.png", host="rebind.test"), policy)
    assert fetched.body == PNG
    assert resolver.lookups == ["rebind.test"]


async def test_an_error_status_is_one_sentence(files: HttpsFiles) -> None:
    error = await _refusal(files.url("/missing"), _policy(files))
    assert error.reason == "http_status"
    assert str(error) == "localhost answered HTTP 404, not the file."


async def test_log_lines_name_the_host_but_never_the_query(
    files: HttpsFiles, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mctltg.outbound")
    files.routes["/cat.png"] = Route(body=PNG)
    with trio.fail_after(15):
        await fetch(files.url("/cat.png?sig=s3cret"), _policy(files))
    await _refusal(files.url("/cat.png?sig=s3cret"), _policy(files, trusted_hosts=frozenset()))
    lines = [record.getMessage() for record in caplog.records if record.name == "mctltg.outbound"]
    assert len(lines) == 2
    assert all("localhost" in line for line in lines)
    assert not any("s3cret" in line or "cat.png" in line for line in lines)
