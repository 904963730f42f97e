"""Actions on existing messages that run ON the Telethon thread: edit, delete, forward, react.

Each issues Telegram's own request once (``messages.editMessage``,
``messages.deleteMessages`` or ``channels.deleteMessages``, ``messages.forwardMessages``,
``messages.sendReaction``) rather than Telethon's convenience wrappers, so the text goes
out exactly as given (no Markdown parsing) and a forward carries the ``random_id`` the
caller recorded before sending. A stale access hash is retried once by ``with_peer``:
PEER_ID_INVALID guarantees Telegram did nothing, so that retry cannot act twice.
"""

from __future__ import annotations

from typing import Any

from telethon import utils
from telethon.tl import functions, types

from mctltg.telegram.model import ActionResult, PeerRef
from mctltg.telegram.on_loop.resolve import with_peer
from mctltg.telegram.on_loop.writing import canonical_of

__all__ = ["delete_messages", "edit_message", "forward_messages", "set_reaction"]


def _channel(input_peer: Any) -> Any:
    return types.InputChannel(input_peer.channel_id, input_peer.access_hash)


async def edit_message(client: Any, ref: PeerRef, message_id: int, text: str) -> ActionResult:
    """Replace the text of one of the account's own messages."""

    async def edit(input_peer: Any) -> ActionResult:
        await client(
            functions.messages.EditMessageRequest(
                peer=input_peer, id=message_id, message=text, no_webpage=False
            )
        )
        return ActionResult(peer=canonical_of(input_peer, ref), message_ids=(message_id,))

    return await with_peer(client, ref, edit)


async def delete_messages(
    client: Any, ref: PeerRef, message_ids: tuple[int, ...], revoke: bool
) -> ActionResult:
    """Delete messages (for everyone with ``revoke``; channels always delete for everyone)."""

    async def delete(input_peer: Any) -> ActionResult:
        ids = list(message_ids)
        if isinstance(input_peer, types.InputPeerChannel):
            answer = await client(
                functions.channels.DeleteMessagesRequest(channel=_channel(input_peer), id=ids)
            )
        else:
            # messages.deleteMessages names no chat: keep only the ids that are in this one.
            ids = await _ids_in_chat(client, input_peer, ids)
            if not ids:
                return ActionResult(peer=canonical_of(input_peer, ref))
            answer = await client(functions.messages.DeleteMessagesRequest(id=ids, revoke=revoke))
        count = int(getattr(answer, "pts_count", 0) or 0)
        return ActionResult(peer=canonical_of(input_peer, ref), message_ids=tuple(ids[:count]))

    return await with_peer(client, ref, delete)


async def _ids_in_chat(client: Any, input_peer: Any, ids: list[int]) -> list[int]:
    """The ids among ``ids`` whose message is in ``input_peer``'s chat (one ``messages.getMessages``)."""
    chat = await client.get_peer_id(input_peer)
    answer = await client(functions.messages.GetMessagesRequest(id=[types.InputMessageID(i) for i in ids]))
    found = {
        int(m.id)
        for m in getattr(answer, "messages", ())
        if not isinstance(m, types.MessageEmpty) and utils.get_peer_id(m.peer_id) == chat
    }
    return [i for i in ids if i in found]


async def forward_messages(
    client: Any,
    source: PeerRef,
    message_ids: tuple[int, ...],
    target: PeerRef,
    drop_author: bool,
    random_id: int,
) -> ActionResult:
    """Forward messages with random ids ``random_id``, ``random_id + 1``, …; the new ids back."""
    random_ids = [(random_id + i) % 2**63 or 1 for i in range(len(message_ids))]

    async def from_source(from_peer: Any) -> ActionResult:
        async def to_target(to_peer: Any) -> ActionResult:
            answer = await client(
                functions.messages.ForwardMessagesRequest(
                    from_peer=from_peer,
                    id=list(message_ids),
                    to_peer=to_peer,
                    random_id=random_ids,
                    drop_author=drop_author,
                )
            )
            by_random = {
                u.random_id: int(u.id)
                for u in getattr(answer, "updates", ()) or ()
                if isinstance(u, types.UpdateMessageID)
            }
            new_ids = tuple(by_random[r] for r in random_ids if r in by_random)
            return ActionResult(peer=canonical_of(to_peer, target), message_ids=new_ids)

        return await with_peer(client, target, to_target)

    return await with_peer(client, source, from_source)


async def set_reaction(client: Any, ref: PeerRef, message_id: int, emoji: str | None) -> ActionResult:
    """Set the account's reaction on a message to ``emoji``, or remove it (None)."""

    async def react(input_peer: Any) -> ActionResult:
        reaction = [] if emoji is None else [types.ReactionEmoji(emoticon=emoji)]
        await client(
            functions.messages.SendReactionRequest(peer=input_peer, msg_id=message_id, reaction=reaction)
        )
        return ActionResult(peer=canonical_of(input_peer, ref), message_ids=(message_id,))

    return await with_peer(client, ref, react)
