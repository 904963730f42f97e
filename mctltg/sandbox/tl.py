"""Layer-tolerant construction of Telethon TL objects, and their wire-format round trip.

Telethon 1.39 speaks layer 199 and 1.45 speaks layer 229; constructors gained and lost
arguments in between (``Dialog.unread_poll_votes_count``, ``messages.Messages.topics``).
Every TL object the world builds goes through :func:`build`, which reads the installed
constructor's signature, drops keyword arguments it does not have and zero-fills required
ones it was not given. Answers and pushes are serialized and read back by Telethon's own
reader (:func:`roundtrip_request`, :func:`encode_answer`, :func:`decode_answer`), exactly
as bytes from a real data centre would be (sandbox-seam.md §1, item 1).
"""

from __future__ import annotations

import datetime
import functools
import inspect
import struct
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl.tlobject import TLObject

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "build",
    "decode_answer",
    "encode_answer",
    "request_name",
    "roundtrip_object",
    "roundtrip_request",
    "to_datetime",
]

BOOL_TRUE = 0x997275B5
BOOL_FALSE = 0xBC799737
_VECTOR = 0x1CB5C415

_MISSING = inspect.Parameter.empty


@functools.cache
def _parameters(cls: type[Any]) -> tuple[tuple[str, bool, str], ...]:
    """(name, required, annotation text) for each constructor argument; a pure memo."""
    out: list[tuple[str, bool, str]] = []
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = param.annotation
        if isinstance(annotation, str):
            text = annotation
        elif isinstance(annotation, type):
            text = annotation.__name__
        else:
            text = str(annotation)
        out.append((name, param.default is _MISSING, text))
    return tuple(out)


def _zero(cls: type[Any], name: str, annotation: str) -> Any:
    """The neutral value for a required argument the caller did not give."""
    text = annotation.replace("typing.", "")
    if "datetime" in text:
        return None
    if text.startswith(("List", "list")):
        return []
    if text.startswith("Optional["):
        text = text[len("Optional[") : -1]
    zeroes: dict[str, Any] = {"int": 0, "str": "", "bytes": b"", "bool": False, "float": 0.0}
    if text in zeroes:
        return zeroes[text]
    raise TypeError(f"{cls.__name__} requires {name!r} ({annotation}); the sandbox must pass it")


def build(cls: type[Any], /, **fields: Any) -> Any:
    """Construct ``cls`` with the fields this Telethon layer knows.

    Args:
        cls: A class from ``telethon.tl.types`` or ``telethon.tl.functions``.
        **fields: Values by argument name; names the installed layer lacks are dropped.

    Raises:
        TypeError: a required argument that cannot be zero-filled (a TL object) is missing.
    """
    kwargs: dict[str, Any] = {}
    for name, required, annotation in _parameters(cls):  # type: ignore[arg-type]  # classes hash fine
        if name in fields:
            kwargs[name] = fields[name]
        elif required:
            kwargs[name] = _zero(cls, name, annotation)
    return cls(**kwargs)


def to_datetime(timestamp: float) -> datetime.datetime:
    """A UTC datetime at whole-second precision, as TL dates are."""
    return datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)


def request_name(request: Any) -> str:
    """``messages.GetDialogsRequest`` style name: TL namespace plus class name."""
    module = type(request).__module__.rsplit(".", 1)[-1]
    name = type(request).__name__
    return name if module == "functions" else f"{module}.{name}"


def roundtrip_request(request: Any) -> Any:
    """A deep copy of ``request`` made by serializing it and reading it back."""
    return BinaryReader(bytes(request)).tgread_object()


def roundtrip_object(obj: Any) -> Any:
    """A deep copy of a TL object (an update pushed to a client) through the wire format."""
    return BinaryReader(bytes(obj)).tgread_object()


def _encode(value: Any) -> bytes:
    if value is True:
        return struct.pack("<I", BOOL_TRUE)
    if value is False:
        return struct.pack("<I", BOOL_FALSE)
    if isinstance(value, TLObject):
        return bytes(value)
    if isinstance(value, list):
        return struct.pack("<Ii", _VECTOR, len(value)) + b"".join(_encode(item) for item in value)
    raise TypeError(f"cannot serialize a {type(value).__name__} answer")


def _passes_through(answer: Any) -> bool:
    """Vector<long>/Vector<int> cannot be read back generically (sandbox-seam.md §1)."""
    return isinstance(answer, list) and any(
        isinstance(item, int) and not isinstance(item, bool) for item in answer
    )


def encode_answer(answer: Any) -> bytes | None:
    """The wire bytes of an answer, or ``None`` when it must pass through unchanged."""
    if _passes_through(answer):
        return None
    return _encode(answer)


def decode_answer(request: Any, answer: Any) -> Any:
    """What Telethon would read for ``request`` if the data centre had sent ``answer``."""
    data = encode_answer(answer)
    if data is None:
        return answer
    return request.read_result(BinaryReader(data))
