"""Route one unwrapped request to its handler, with the caller's identity attached.

Requests arrive wrapped as Telethon sends them (``InvokeWithLayer``, ``InitConnection``,
``InvokeWithoutUpdates``); :func:`unwrap` peels those and records the device the key
announced. Handlers are looked up by request *class* — never by name, because names repeat
across namespaces (``messages.ReadHistoryRequest`` vs ``channels.ReadHistoryRequest``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telethon.tl import functions

from mctltg.sandbox.engine import RpcFault

if TYPE_CHECKING:
    from mctltg.sandbox.state import Endpoint, KeyRecord, WorldState

__all__ = ["Call", "Handler", "Route", "Unwrapped", "unwrap"]


@dataclass(slots=True)
class Call:
    """One request being answered: the world, the caller's key, and the time it arrived."""

    state: WorldState
    key: KeyRecord
    endpoint: Endpoint | None
    now: float
    code_expiry_seconds: float

    @property
    def user_id(self) -> int | None:
        return self.key.user_id

    @property
    def me(self) -> int:
        """The logged-in user; handlers that need one are routed with ``login=True``."""
        if self.key.user_id is None:
            raise RpcFault(401, "AUTH_KEY_UNREGISTERED")
        return self.key.user_id


Handler = Callable[[Call, Any], Any]


@dataclass(frozen=True, slots=True)
class Route:
    """A request class, its handler, and whether the caller must be logged in."""

    request: type[Any]
    handler: Handler
    login: bool = True


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The innermost request, and what the wrappers around it said."""

    request: Any
    init: Any | None  # the InitConnectionRequest, if any
    layer: int | None


def unwrap(request: Any) -> Unwrapped:
    init = None
    layer = None
    while True:
        if isinstance(request, functions.InvokeWithLayerRequest):
            layer = request.layer
            request = request.query
        elif isinstance(request, functions.InitConnectionRequest):
            init = request
            request = request.query
        elif isinstance(request, functions.InvokeWithoutUpdatesRequest):
            request = request.query
        else:
            return Unwrapped(request=request, init=init, layer=layer)


def remember_device(key: KeyRecord, init: Any, layer: int | None) -> None:
    """Keep what ``InitConnection`` announced; ``account.getAuthorizations`` shows it."""
    key.device_model = init.device_model
    key.system_version = init.system_version
    key.app_version = init.app_version
    key.lang_code = init.lang_code
    key.system_lang_code = init.system_lang_code
    key.api_id = init.api_id
    if layer is not None:
        key.layer = layer
