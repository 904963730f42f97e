"""Writes on existing messages: ``edit_message``, ``delete_messages``, ``forward_messages``, ``set_reaction``.

Each is one ``Write`` through ``Sending.write``: the same gate as ``send_message`` (server
switch, the ``telegram:messages:send`` scope, the account's own consent, the per-peer
rate limit), the same ledger and key lock. A closed gate is a successful preview
(``mode: "draft"``, ``would`` says exactly what would happen, ``dry_reason`` why not)
and no Telegram call; the same ``idempotency_key`` never acts twice; ``unverified``
means the answer never came and nothing will be repeated. ``pin_message`` (in
``send_tools``) renders its outcome with ``write_result.render_write`` too, so every write tool
answers one way.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field

from mctltg.accounts import TelegramAccount
from mctltg.accounts.writes import Write
from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import MESSAGES_SEND
from mctltg.telegram.model import ActionResult, PeerRef
from mctltg.telegram.peers import parse_peer
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import Hints, tool
from mctltg.tools.send_tools import TEXT_MAX, key_argument, text_argument
from mctltg.tools.validate import bounded_int
from mctltg.tools.write_result import WriteOut, render_write, run_write

__all__ = ["delete_messages", "edit_message", "forward_messages", "set_reaction"]

MAX_IDS: Final = 100
EMOJI_MAX: Final = 16
_ID: Final = {"minimum": 1}
_IDS: Final = {"minItems": 1, "maxItems": MAX_IDS, "items": {"type": "integer", "minimum": 1}}
#: Edits and reactions replace what is there: doing one twice leaves the same state.
REPLACE: Final = Hints(read_only=False, destructive=True, idempotent=True, open_world=True)
#: Deleting cannot be undone; a forward repeated posts again.
IRREVERSIBLE: Final = Hints(read_only=False, destructive=True, idempotent=False, open_world=True)


def _ids(field: str, values: list[int]) -> tuple[int, ...]:
    if not isinstance(values, list) or not values:
        raise InvalidInput(field, f"must be a list of 1-{MAX_IDS} message ids")
    if len(values) > MAX_IDS:
        raise InvalidInput(field, f"holds {len(values)} ids; give at most {MAX_IDS} per call")
    return tuple(dict.fromkeys(bounded_int(field, v, 1, 2**31 - 1) for v in values))


def _id_list(ids: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in ids)


def _message_id(value: int) -> int:
    return bounded_int("message_id", value, 1, 2**31 - 1)


def _write(
    tool_name: str, ref: PeerRef, fingerprint: str, perform: Any, also: tuple[PeerRef, ...] = ()
) -> Write:
    return Write(
        tool=tool_name, scope=MESSAGES_SEND, ref=ref, fingerprint=fingerprint, perform=perform, also=also
    )


@tool(MESSAGES_SEND, title="Edit a Telegram message", hints=REPLACE, output=WriteOut, anonymous=True,
      enforce_scope=False, needs="sending")  # fmt: skip
async def edit_message(
    ctx: ToolContext,
    peer: str,
    message_id: Annotated[int, Field(json_schema_extra=_ID)],
    text: Annotated[str, Field(description=f"New text, 1-{TEXT_MAX} characters")],
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Edit the text of a message you sent. Like every write: a closed gate gives a preview."""
    ref, target, clean, key = (
        parse_peer(peer),
        _message_id(message_id),
        text_argument(text),
        key_argument(idempotency_key),
    )

    async def perform(account: TelegramAccount, _random_id: int) -> ActionResult:
        return await account.edit(ref, target, clean)

    outcome = await run_write(ctx, _write("edit_message", ref, f"{target}\x00{clean}", perform), key)
    return render_write(outcome, f"edit message {target} in {ref} to the given text")


@tool(MESSAGES_SEND, title="Delete Telegram messages", hints=IRREVERSIBLE, output=WriteOut, anonymous=True,
      enforce_scope=False, needs="sending")  # fmt: skip
async def delete_messages(
    ctx: ToolContext,
    peer: str,
    message_ids: Annotated[list[int], Field(json_schema_extra=_IDS)],
    for_everyone: Annotated[bool, Field(description="Also for the other side (channels: always)")] = False,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Delete messages of one chat; `message_ids` in the result are those Telegram deleted."""
    ref, ids, key = parse_peer(peer), _ids("message_ids", message_ids), key_argument(idempotency_key)
    revoke = bool(for_everyone)

    async def perform(account: TelegramAccount, _random_id: int) -> ActionResult:
        return await account.delete(ref, ids, revoke=revoke)

    who = "for everyone" if revoke else "for you"
    outcome = await run_write(
        ctx, _write("delete_messages", ref, f"{_id_list(ids)}\x00{revoke}", perform), key
    )
    return render_write(outcome, f"delete messages {_id_list(ids)} in {ref} {who}")


@tool(MESSAGES_SEND, title="Forward Telegram messages", hints=IRREVERSIBLE, output=WriteOut, anonymous=True,
      enforce_scope=False, needs="sending")  # fmt: skip
async def forward_messages(
    ctx: ToolContext,
    from_peer: str,
    message_ids: Annotated[list[int], Field(json_schema_extra=_IDS)],
    to_peer: str,
    drop_author: Annotated[bool, Field(description="Hide the original sender")] = False,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Forward messages to another chat; `message_ids` in the result are the new copies."""
    source, ids = parse_peer(from_peer), _ids("message_ids", message_ids)
    target, key, drop = parse_peer(to_peer), key_argument(idempotency_key), bool(drop_author)

    async def perform(account: TelegramAccount, random_id: int) -> ActionResult:
        return await account.forward(source, ids, target, drop_author=drop, random_id=random_id)

    fingerprint = f"{source}\x00{_id_list(ids)}\x00{drop}"
    outcome = await run_write(ctx, _write("forward_messages", target, fingerprint, perform, (source,)), key)
    how = " without their author" if drop else ""
    return render_write(outcome, f"forward messages {_id_list(ids)} of {source} to {target}{how}")


def _emoji(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > EMOJI_MAX:
        raise InvalidInput("emoji", "must be one emoji such as 👍, or null to remove your reaction")
    return value.strip()


@tool(MESSAGES_SEND, title="React to a Telegram message", hints=REPLACE, output=WriteOut, anonymous=True,
      enforce_scope=False, needs="sending")  # fmt: skip
async def set_reaction(
    ctx: ToolContext,
    peer: str,
    message_id: Annotated[int, Field(json_schema_extra=_ID)],
    emoji: Annotated[str | None, Field(description="e.g. 👍; null removes yours")],
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Set, replace or remove (null) your reaction on a message."""
    ref, target, chosen, key = (
        parse_peer(peer),
        _message_id(message_id),
        _emoji(emoji),
        key_argument(idempotency_key),
    )

    async def perform(account: TelegramAccount, _random_id: int) -> ActionResult:
        return await account.react(ref, target, chosen)

    outcome = await run_write(ctx, _write("set_reaction", ref, f"{target}\x00{chosen or ''}", perform), key)
    what = f"react {chosen} to" if chosen else "remove your reaction from"
    return render_write(outcome, f"{what} message {target} in {ref}")
