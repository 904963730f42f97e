"""The one SSRF-guarded outbound fetcher: every URL a caller hands the server is fetched here.

The team standard: every outbound fetch is bounded in size and time and refuses loopback,
private, link-local and metadata addresses, also after redirects. A model (or an OAuth
client's metadata document URL) can name any URL, so the fetcher treats each one as hostile:

- **https only**, on every hop, with the certificate checked for the URL's host name;
- the host is resolved with trio's ``getaddrinfo`` and **every** address must be public
  (``refusal_for``): loopback, private, link-local, CGNAT (100.64/10), unspecified,
  multicast, reserved and documentation ranges are refused, also when wrapped in an
  IPv4-mapped, 6to4 or NAT64 IPv6 address, and cloud metadata addresses (169.254.169.254,
  fd00:ec2::254, 100.100.100.200, ...) are refused even for trusted hosts;
- the connection goes to the **vetted address itself** (``_PinnedBackend``) while SNI, the
  certificate check and the ``Host`` header keep the URL's name, so a DNS answer that
  changes between the check and the connect (DNS rebinding) is never used;
- redirects are followed by hand, at most ``max_redirects``, each hop vetted again;
- the body is read as a stream and reading stops at ``max_bytes`` (a larger
  ``Content-Length`` is refused before reading); ``Accept-Encoding: identity`` is asked
  for and a compressed answer refused, so the cap counts the bytes that land in memory;
- one overall deadline (``trio.fail_after``) covers resolution, every hop and the body.

Why httpx2 and not trio streams + h11: httpx2 is the server's one HTTP client (the MCP
SDK's own), it already parses URLs, joins relative redirects, frames HTTP/1.1 (chunked,
content-length) and wraps TLS; the only thing it lacks is "connect to this vetted IP",
which httpcore2's pluggable network backend gives without touching private attributes.
So the fetcher owns a tiny transport (``_PinnedTransport``) over an ``AsyncConnectionPool``
whose backend connects to the vetted addresses only.

API (stable; the CIMD fetcher in ``oauth/`` and ``send_media`` use it)::

    policy = FetchPolicy(max_bytes=5 * MB, timeout=10.0, trusted_hosts=frozenset({"cdn.internal"}))
    fetched = await fetch("https://example.com/a.png", policy)   # -> Fetched
    fetched.body, fetched.content_type, fetched.url
    # OutboundError (str: one sentence naming the host), .host, .reason (a REASONS literal)

``FetchPolicy.ssl_context`` is the TLS trust to use; ``None`` means the system store, or
``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set (tests pass a ``trustme`` CA's context).
``trusted_hosts`` lists host names (exact, lower case) an operator trusts although they
resolve to private or loopback addresses (an internal CDN); metadata, unspecified and
multicast addresses stay refused for them. Logs carry the host only, never a query string.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import ssl
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import httpcore2
import httpx2
import trio

__all__ = [
    "METADATA_ADDRESSES",
    "REASONS",
    "FetchPolicy",
    "Fetched",
    "OutboundError",
    "Reason",
    "fetch",
    "refusal_for",
]

logger = logging.getLogger(__name__)

Reason = Literal[
    "invalid_url",
    "not_https",
    "unresolvable",
    "private_address",
    "redirect_private",
    "too_many_redirects",
    "timeout",
    "too_large",
    "http_status",
    "encoded",
    "unreachable",
]
REASONS: Final[tuple[Reason, ...]] = (
    "invalid_url",
    "not_https",
    "unresolvable",
    "private_address",
    "redirect_private",
    "too_many_redirects",
    "timeout",
    "too_large",
    "http_status",
    "encoded",
    "unreachable",
)

#: Cloud instance-metadata and platform endpoints: refused always, even for trusted hosts.
METADATA_ADDRESSES: Final = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.123",  # AWS time sync
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS DNS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address, hence listed)
        "192.0.0.192",  # Oracle Cloud
    )
)
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 64 * 1024

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    """How much one fetch may take: bytes, seconds, hops, and which hosts may be private.

    Args:
        max_bytes: the body's cap; a larger body is refused (reading stops at the cap).
        timeout: seconds for the whole fetch: resolution, every hop and the body.
        max_redirects: redirects followed before giving up (each hop vetted again).
        trusted_hosts: exact lower-case host names allowed to resolve to private addresses.
        ssl_context: TLS trust; ``None``: the system store or ``SSL_CERT_FILE``/``SSL_CERT_DIR``.
        accept: the ``Accept`` header sent.
    """

    max_bytes: int
    timeout: float
    max_redirects: int = 3
    trusted_hosts: frozenset[str] = frozenset()
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)
    accept: str = "*/*"

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.timeout <= 0 or self.max_redirects < 0:
            raise ValueError("FetchPolicy needs a positive max_bytes and timeout")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    """A fetched body: ``url`` is the final URL after redirects; ``content_type`` as sent
    (media type only, lower case, no parameters; empty when the server sent none)."""

    url: str
    content_type: str
    body: bytes = field(repr=False)
    #: The final answer's headers, names in lower case (caching headers, for CIMD).
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


class OutboundError(Exception):
    """A fetch was refused or failed; ``str()`` is one sentence naming the host, safe to show.

    Args:
        host: the host of the URL at fault (the redirect target for redirect refusals).
        reason: what went wrong, one of ``REASONS``.
        sentence: the whole message.
    """

    def __init__(self, host: str, reason: Reason, sentence: str) -> None:
        self.host = host
        self.reason = reason
        super().__init__(sentence)


def refusal_for(address: Address, *, trusted: bool = False) -> str | None:
    """Why ``address`` may not be fetched from (a phrase), or ``None`` when it may.

    IPv4 inside IPv6 (``::ffff:10.0.0.1``, 6to4 ``2002:0a00:0001::``, NAT64
    ``64:ff9b::10.0.0.1``) is judged by the IPv4 address it carries. ``trusted`` (an
    operator-trusted host) lifts the private and loopback refusal, never metadata,
    unspecified or multicast.
    """
    if isinstance(address, ipaddress.IPv6Address):
        inner: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return refusal_for(inner, trusted=trusted)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if trusted:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


async def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """GET ``url`` under ``policy``: https only, public addresses only, bounded in size and time.

    Returns:
        The final URL, the response's media type (for the caller to check) and the body.

    Raises:
        OutboundError: refused or failed; its message is one sentence naming the host.
    """
    host = _host_of(url)
    context = policy.ssl_context or _default_context()
    try:
        with trio.fail_after(policy.timeout):
            return await _follow(url, policy, context)
    except trio.TooSlowError:
        logger.info("outbound fetch from %s timed out after %ss", host, policy.timeout)
        raise OutboundError(
            host, "timeout", f"Fetching from {host} timed out after {policy.timeout:g} seconds."
        ) from None


async def _follow(url: str, policy: FetchPolicy, context: ssl.SSLContext) -> Fetched:
    current = _parse(url)
    hops = 0
    while True:
        host = _ascii_host(current)
        addresses = await _vetted(current, policy, redirected=hops > 0)
        status, headers, body = await _get(current, host, addresses, policy, context)
        if status in _REDIRECTS and "location" in headers:
            hops += 1
            if hops > policy.max_redirects:
                raise OutboundError(
                    host,
                    "too_many_redirects",
                    f"{host} redirected more than {policy.max_redirects} times; give the final URL.",
                )
            try:
                current = current.join(headers["location"])
            except httpx2.InvalidURL:
                raise OutboundError(
                    host, "invalid_url", f"{host} redirected to a URL that does not parse."
                ) from None
            continue
        if not 200 <= status < 300:
            raise OutboundError(host, "http_status", f"{host} answered HTTP {status}, not the file.")
        logger.info("outbound fetch from %s: %d bytes after %d redirect(s)", host, len(body), hops)
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return Fetched(url=str(current), content_type=media_type, body=body, headers=tuple(headers.items()))


async def _vetted(url: httpx2.URL, policy: FetchPolicy, *, redirected: bool) -> tuple[str, ...]:
    """The URL's resolved addresses, every one of them allowed, or ``OutboundError``."""
    host = _ascii_host(url)
    if url.scheme != "https":
        what = "redirected to a URL that is not https" if redirected else "is not an https URL"
        raise OutboundError(host, "not_https", f"The URL for {host} {what}; only https is fetched.")
    port = url.port or 443
    try:
        infos = await trio.socket.getaddrinfo(host, port, type=trio.socket.SOCK_STREAM)
    except OSError:
        raise OutboundError(host, "unresolvable", f"{host} does not resolve to an address.") from None
    trusted = host in policy.trusted_hosts
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        refusal = refusal_for(address, trusted=trusted)
        if refusal is not None:
            logger.info("outbound fetch refused: %s resolves to %s", host, refusal)
            if redirected:
                raise OutboundError(
                    host,
                    "redirect_private",
                    f"The URL redirected to {host}, which resolves to {refusal}; it is not fetched.",
                )
            raise OutboundError(
                host, "private_address", f"{host} resolves to {refusal}; only public addresses are fetched."
            )
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OutboundError(host, "unresolvable", f"{host} does not resolve to an address.")
    return tuple(addresses)


async def _get(
    url: httpx2.URL, host: str, addresses: tuple[str, ...], policy: FetchPolicy, context: ssl.SSLContext
) -> tuple[int, dict[str, str], bytes]:
    """One GET to ``url`` over a connection to one of ``addresses``; the body only for 2xx."""
    pool = httpcore2.AsyncConnectionPool(
        ssl_context=context, max_connections=1, network_backend=_PinnedBackend(host, addresses)
    )
    headers = {"accept": policy.accept, "accept-encoding": "identity", "user-agent": "mctltg"}
    try:
        async with (
            httpx2.AsyncClient(transport=_PinnedTransport(pool), trust_env=False, timeout=None) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            found = {key.lower(): value for key, value in response.headers.items()}
            if response.status_code in _REDIRECTS or not 200 <= response.status_code < 300:
                return response.status_code, found, b""
            if found.get("content-encoding", "identity").strip().lower() != "identity":
                raise OutboundError(
                    host, "encoded", f"{host} sent a compressed answer although asked not to."
                )
            declared = found.get("content-length", "")
            if declared.isdigit() and int(declared) > policy.max_bytes:
                raise _too_large(host, policy)
            async with contextlib.aclosing(response.aiter_raw(_CHUNK)) as chunks:
                body = await _read_capped(chunks, host, policy)
            return response.status_code, found, body
    except (httpx2.HTTPError, httpcore2.TimeoutException, httpcore2.NetworkError, httpcore2.ProtocolError):
        logger.info("outbound fetch from %s failed to connect or read", host)
        raise OutboundError(
            host, "unreachable", f"{host} could not be reached over https (connection or TLS failed)."
        ) from None


async def _read_capped(chunks: AsyncIterator[bytes], host: str, policy: FetchPolicy) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        room = policy.max_bytes - len(body)
        if len(chunk) > room:
            raise _too_large(host, policy)
        body += chunk
    return bytes(body)


def _too_large(host: str, policy: FetchPolicy) -> OutboundError:
    return OutboundError(
        host, "too_large", f"The file at {host} is larger than the {policy.max_bytes:,} bytes allowed."
    )


def _parse(url: str) -> httpx2.URL:
    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, TypeError):
        raise OutboundError("?", "invalid_url", "The URL does not parse; give a full https URL.") from None
    if not parsed.host:
        raise OutboundError("?", "invalid_url", "The URL has no host; give a full https URL.")
    return parsed


def _host_of(url: str) -> str:
    return _ascii_host(_parse(url))


def _ascii_host(url: httpx2.URL) -> str:
    return url.raw_host.decode("ascii").lower().rstrip(".")


def _default_context() -> ssl.SSLContext:
    """The system trust store, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when the operator sets one."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    return httpcore2.default_ssl_context(_trust_env=False)


class _PinnedBackend(httpcore2.AsyncNetworkBackend):
    """Connects only to the vetted addresses of the one host it was made for.

    httpcore2 asks to connect to the URL's host name; this backend answers with a TCP
    connection to a vetted address instead (tried in order), so name resolution happens
    exactly once, in ``_vetted``. TLS is started afterwards by httpcore2 with the host name
    as SNI and for the certificate check.
    """

    def __init__(self, host: str, addresses: Iterable[str]) -> None:
        self._host = host
        self._addresses = tuple(addresses)
        self._inner = httpcore2.TrioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore2's backend signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        if host.lower().rstrip(".") != self._host:
            raise httpcore2.ConnectError("connection to a host that was not vetted")
        failure: Exception = httpcore2.ConnectError("no vetted address")
        for address in self._addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)


class _PinnedTransport(httpx2.AsyncBaseTransport):
    """httpx2's transport contract over a pool whose backend is ``_PinnedBackend``."""

    def __init__(self, pool: httpcore2.AsyncConnectionPool) -> None:
        self._pool = pool

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        assert isinstance(request.stream, httpx2.AsyncByteStream)
        core = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core)
        return httpx2.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_BodyStream(response),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _BodyStream(httpx2.AsyncByteStream):
    def __init__(self, response: httpcore2.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async with contextlib.aclosing(self._response.aiter_stream()) as parts:
            async for part in parts:
                yield part

    async def aclose(self) -> None:
        await self._response.aclose()
