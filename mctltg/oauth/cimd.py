"""OAuth Client ID Metadata Documents: an ``https`` client_id is the URL of the client's metadata.

draft-ietf-oauth-client-id-metadata-document (IETF OAuth WG), as MCP 2025-11-25
("Client ID Metadata Documents", preferred over dynamic registration by Claude and
ChatGPT) uses it: a client that has no registration here sends ``client_id=https://...``;
the server fetches that URL, and the JSON there is the client's metadata (RFC 7591
fields). What this module checks, and why:

- the client_id URL (§3): https, a path other than ``/``, no fragment, no user name or
  password, no ``.``/``..`` segments, at most ``MAX_URL_CHARS``;
- the document (§4): a JSON object of at most ``MAX_DOCUMENT_BYTES`` whose ``client_id``
  equals the URL exactly (so a document cannot speak for another URL), with no
  ``client_secret`` and a ``token_endpoint_auth_method`` of ``none`` when given (every
  client here is public; PKCE protects its codes), and redirect URIs, grant types, names
  and scopes held to the same rules as dynamic registration (``rfc7591``);
- the fetch: through the one SSRF-guarded fetcher (``mctltg.outbound``: public
  addresses only, also after redirects, size and time capped);
- caching (§4.3 "SHOULD respect HTTP cache headers"): ``Cache-Control: max-age`` (or
  ``no-store``/``no-cache``, which count as the minimum) clamped to
  [``MIN_TTL``, ``MAX_TTL``], ``DEFAULT_TTL`` without one; at most ``MAX_CACHED``
  documents, the least recently used forgotten first. Cache misses from one address are
  rate-limited (``FETCHES_PER_WINDOW``), so nobody can make the server fetch at will.

Some clients publish their document behind bot protection that refuses server fetches.
The operator can pre-seed documents for known client ids (``CIMD_SEED_FILE``): a seeded
document is used when the live fetch fails or answers something that is not a valid
document, and it is validated at startup exactly like a fetched one.
"""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from mctltg.oauth.admission import AddressLimiter, retry_sentence
from mctltg.oauth.errors import OAuthError
from mctltg.oauth.rfc7591 import ClientMetadata, parse_registration
from mctltg.outbound import FetchPolicy, OutboundError, fetch

__all__ = [
    "DEFAULT_TTL",
    "FETCHES_PER_WINDOW",
    "MAX_CACHED",
    "MAX_DOCUMENT_BYTES",
    "MAX_TTL",
    "MIN_TTL",
    "ClientDocument",
    "ClientDocuments",
    "is_metadata_url",
    "load_seeds",
    "parse_document",
    "time_to_live",
]

logger = logging.getLogger(__name__)

MAX_URL_CHARS: Final = 512
#: The draft suggests a small limit (5 KB); real documents are a few hundred bytes.
MAX_DOCUMENT_BYTES: Final = 5 * 1024
MIN_TTL: Final = 60.0
DEFAULT_TTL: Final = 3600.0
MAX_TTL: Final = 86_400.0
MAX_CACHED: Final = 256
FETCHES_PER_WINDOW: Final = 30
FETCH_WINDOW: Final = 900.0
_MAX_AGE: Final = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_STORE: Final = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|=|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientDocument:
    """A validated metadata document and until when it may be used without fetching again."""

    client_id: str
    metadata: ClientMetadata
    expires_at: float
    #: True when it came from the operator's seed file rather than the live URL.
    seeded: bool = False

    @property
    def host(self) -> str:
        """The client's verified identity as a person can read it (the URL's host)."""
        return (urlsplit(self.client_id).hostname or "").lower()


def is_metadata_url(client_id: str) -> bool:
    """Whether ``client_id`` is a metadata document URL (§3) rather than a registered id."""
    if not client_id.startswith("https://") or len(client_id) > MAX_URL_CHARS:
        return False
    try:
        parts = urlsplit(client_id)
        _ = parts.port
    except ValueError:
        return False
    segments = parts.path.split("/")
    return (
        bool(parts.hostname)
        and parts.path not in ("", "/")
        and not parts.fragment
        and "#" not in client_id
        and parts.username is None
        and "@" not in parts.netloc
        and "\\" not in client_id
        and not any(segment in (".", "..") for segment in segments)
    )


def _refuse(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=400)


def parse_document(
    client_id: str, raw: bytes, *, allowed_hosts: frozenset[str] = frozenset()
) -> ClientMetadata:
    """Validate the document at ``client_id`` (§4); returns its metadata as registration would.

    Raises:
        OAuthError: ``invalid_client`` (or rfc7591's codes) with one sentence.
    """
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise _refuse(f"The client metadata document is larger than {MAX_DOCUMENT_BYTES} bytes.")
    try:
        body: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _refuse("The client metadata document is not a JSON object.") from None
    if not isinstance(body, dict):
        raise _refuse("The client metadata document is not a JSON object.")
    if body.get("client_id") != client_id:
        raise _refuse("The client metadata document's client_id is not exactly the URL it was fetched from.")
    if "client_secret" in body or "client_secret_expires_at" in body:
        raise _refuse("A client metadata document must not carry a client_secret.")
    method = body.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise _refuse(
            "This server accepts only public clients: token_endpoint_auth_method must be none (PKCE)."
        )
    return parse_registration(raw, allowed_hosts=allowed_hosts)


def time_to_live(cache_control: str | None) -> float:
    """Seconds a fetched document stays fresh, from its ``Cache-Control``, within the bounds."""
    if cache_control is None:
        return DEFAULT_TTL
    if _NO_STORE.search(cache_control):
        return MIN_TTL
    found = _MAX_AGE.search(cache_control)
    if found is None:
        return DEFAULT_TTL
    return min(MAX_TTL, max(MIN_TTL, float(found.group(1))))


def load_seeds(path: Path, *, allowed_hosts: frozenset[str] = frozenset()) -> dict[str, ClientMetadata]:
    """The operator's pre-seeded documents: a JSON list of documents, each naming its client_id.

    Raises:
        ValueError: the file is unreadable or a document in it is invalid (the sentence says which).
    """
    try:
        entries: Any = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        raise ValueError(f"CIMD_SEED_FILE {path} is not a readable JSON list of documents ({exc})") from None
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise ValueError(f"CIMD_SEED_FILE {path} must hold a JSON list of client metadata documents")
    seeds: dict[str, ClientMetadata] = {}
    for entry in entries:
        client_id = entry.get("client_id") if isinstance(entry, dict) else None
        if not isinstance(client_id, str) or not is_metadata_url(client_id):
            raise ValueError(f"CIMD_SEED_FILE {path}: each document needs an https client_id URL with a path")
        try:
            raw = json.dumps(entry).encode()
            seeds[client_id] = parse_document(client_id, raw, allowed_hosts=allowed_hosts)
        except OAuthError as exc:
            raise ValueError(
                f"CIMD_SEED_FILE {path}: the document for {client_id} is invalid: {exc}"
            ) from None
    return seeds


class ClientDocuments:
    """Fetches, validates and caches client metadata documents (see the module docstring).

    Args:
        policy: the outbound fetch policy (size cap lowered to ``MAX_DOCUMENT_BYTES``).
        clock: wall time in seconds.
        seeds: the operator's pre-seeded documents by client id (``load_seeds``).
        allowed_hosts: ``ALLOWED_REDIRECT_HOSTS``, held against documents' redirect URIs too.
    """

    def __init__(
        self,
        *,
        policy: FetchPolicy,
        clock: Callable[[], float],
        seeds: dict[str, ClientMetadata] | None = None,
        allowed_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._policy = FetchPolicy(
            max_bytes=min(policy.max_bytes, MAX_DOCUMENT_BYTES),
            timeout=policy.timeout,
            max_redirects=policy.max_redirects,
            trusted_hosts=policy.trusted_hosts,
            ssl_context=policy.ssl_context,
            accept="application/json",
        )
        self._clock = clock
        self._seeds = dict(seeds or {})
        self._allowed_hosts = allowed_hosts
        self._cache: OrderedDict[str, ClientDocument] = OrderedDict()
        self._fetches = AddressLimiter(limit=FETCHES_PER_WINDOW, window=FETCH_WINDOW, clock=clock)

    def cached(self) -> Iterable[str]:
        """The client ids cached right now (least recently used first)."""
        return tuple(self._cache)

    async def resolve(self, client_id: str, *, client_address: str | None = None) -> ClientDocument:
        """The valid document of ``client_id``: cached while fresh, else fetched (else seeded).

        Raises:
            OAuthError: the URL could not be fetched or its document is invalid, and no
                seeded document stands in; or this address fetched too often.
        """
        now = self._clock()
        cached = self._cache.get(client_id)
        if cached is not None and cached.expires_at > now:
            self._cache.move_to_end(client_id)
            return cached
        wait = None if client_address is None else self._fetches.admit(client_address)
        if wait is not None:
            raise OAuthError(
                "temporarily_unavailable",
                f"Too many client metadata documents fetched for this address; {retry_sentence(wait)}.",
                status=429,
            )
        try:
            fetched = await fetch(client_id, self._policy)
            metadata = parse_document(client_id, fetched.body, allowed_hosts=self._allowed_hosts)
        except (OutboundError, OAuthError) as exc:
            seeded = self._seeds.get(client_id)
            if seeded is None:
                if isinstance(exc, OutboundError):
                    raise _refuse(f"The client metadata document could not be fetched: {exc}") from None
                raise
            logger.info("client metadata from %s: live fetch failed, seeded document used", _host(client_id))
            document = ClientDocument(
                client_id=client_id, metadata=seeded, expires_at=now + MIN_TTL, seeded=True
            )
        else:
            ttl = time_to_live(fetched.header("cache-control"))
            document = ClientDocument(client_id=client_id, metadata=metadata, expires_at=now + ttl)
        self._cache[client_id] = document
        self._cache.move_to_end(client_id)
        while len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)
        return document


def _host(client_id: str) -> str:
    return (urlsplit(client_id).hostname or "?").lower()
