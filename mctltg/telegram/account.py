"""A connected Telegram account as Trio code sees it: one typed method per use case.

Adding a Telegram use case means one method here plus its operation in
``on_loop/``; tools call the method and never see a callable, a client or ``Any``.
Each method crosses to the Telethon thread once (``TelegramConnection.run_and_snapshot``
also returns the session's bytes when the call taught it something), under the call
deadline, with Telethon's errors translated.

What the account layer adds around every call (waiting for the connection to be
ready, recording use, revoking an account whose session Telegram ended, writing the
session back) comes in through ``AccountLease``, so ``telegram/`` stays free of
policy and storage.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from mctltg.errors import AccountRevoked, SessionDead, TelegramError
from mctltg.telegram.connection import Operation, TelegramConnection
from mctltg.telegram.model import (
    AccountProfile,
    ActionResult,
    ChatFolder,
    Dialog,
    DialogPage,
    ForumTopic,
    MediaContent,
    MediaLimits,
    MediaMode,
    MediaUpload,
    Message,
    MessageContext,
    MessagePage,
    PeerInfo,
    PeerMatch,
    PeerRef,
    PinResult,
    ReplyThread,
    SavedDraft,
    SentMessage,
    TopicList,
    UnreadChat,
    UnreadDigest,
)
from mctltg.telegram.on_loop import (
    actions,
    dialogs,
    drafts,
    folders,
    media,
    messages,
    people,
    threads,
    topics,
    unread,
    writing,
)
from mctltg.telegram.on_loop import send_media as media_sending

__all__ = ["AccountLease", "TelegramAccount"]

T = TypeVar("T")


class AccountLease(Protocol):
    """The account layer's side of one account's calls (implemented in ``accounts/pool.py``)."""

    async def ready_connection(self) -> TelegramConnection:
        """The live connection, after waiting briefly for it.

        Raises:
            NoAccount, AccountRevoked, AccountNotReady: no usable connection.
        """
        ...

    async def session_ended(self) -> None:
        """Telegram said the session is dead: revoke the account."""
        ...

    def retired(self) -> bool:
        """True once the account was disconnected or deleted (a call racing it is told so)."""
        ...

    def session_changed(self, data: bytes) -> None:
        """The session learnt something (entities, update state): write ``data`` back."""
        ...


class TelegramAccount:
    """One account's Telegram use cases; obtained from ``accounts.AccountDirectory.account_for``."""

    def __init__(self, lease: AccountLease) -> None:
        self._lease = lease

    async def _run(self, operation: str, op: Operation[T], peer: PeerRef | None = None) -> T:
        connection = await self._lease.ready_connection()
        try:
            result, snapshot = await connection.run_and_snapshot(operation, op, peer=peer)
        except SessionDead:
            await self._lease.session_ended()
            raise AccountRevoked() from None
        except TelegramError:
            if self._lease.retired():  # disconnected or deleted under the call
                raise AccountRevoked() from None
            raise
        if snapshot is not None:
            self._lease.session_changed(snapshot)
        return result

    async def profile(self) -> AccountProfile | None:
        """Who is logged in, or None when the session is not authorized."""
        return await self._run("get_me", dialogs.fetch_profile)

    async def dialogs(self, limit: int, query: str | None = None) -> list[Dialog]:
        """The newest ``limit`` dialogs, optionally only those whose title or @username contains ``query``."""
        page = await self.dialog_page(limit, query=query)
        return list(page.dialogs)

    async def history(
        self, peer: PeerRef, *, limit: int, before: int | None = None, after: int | None = None
    ) -> MessagePage:
        """A page of ``peer``'s history, newest first: older than ``before``, newer than ``after``."""
        return await self._run(
            "get_messages", lambda client: messages.fetch_history(client, peer, limit, before, after), peer
        )

    async def search(
        self,
        query: str,
        *,
        peer: PeerRef | None,
        limit: int,
        min_date: float | None = None,
        max_date: float | None = None,
        topic_id: int | None = None,
    ) -> list[Message]:
        """Messages containing ``query`` in ``peer`` (or in every chat), newest first; dates inclusive."""
        return await self._run(
            "search_messages",
            lambda client: messages.search_messages(client, peer, query, limit, min_date, max_date, topic_id),
            peer,
        )

    async def unread(self, peer: PeerRef | None, *, limit: int) -> UnreadDigest:
        """Unread incoming messages in ``peer`` (or across chats), in priority order."""
        return await self._run(
            "get_unread_messages", lambda client: unread.fetch_unread(client, peer, limit), peer
        )

    async def mark_read(self, peer: PeerRef, max_id: int | None = None) -> int | None:
        """Mark ``peer`` read up to ``max_id`` (None: everything); the id Telegram was sent.

        A channel without ``max_id`` is read up to its newest message, whose id comes back.
        """
        return await self._run("mark_read", lambda client: messages.mark_read(client, peer, max_id), peer)

    async def send_text(
        self, peer: PeerRef, text: str, *, reply_to: int | None, random_id: int
    ) -> SentMessage:
        """Send ``text`` exactly as given with the caller's ``random_id`` (Telegram deduplicates on it)."""
        return await self._run(
            "send_message",
            lambda client: writing.send_text(client, peer, text, reply_to, random_id),
            peer,
        )

    async def pin(
        self, peer: PeerRef, message_id: int, *, unpin: bool = False, silent: bool = False
    ) -> PinResult:
        """Pin (or unpin) one message in ``peer``."""
        return await self._run(
            "pin_message", lambda client: writing.pin_message(client, peer, message_id, unpin, silent), peer
        )

    async def edit(self, peer: PeerRef, message_id: int, text: str) -> ActionResult:
        """Replace the text of one of the account's own messages in ``peer``."""
        return await self._run(
            "edit_message", lambda client: actions.edit_message(client, peer, message_id, text), peer
        )

    async def delete(self, peer: PeerRef, message_ids: tuple[int, ...], *, revoke: bool) -> ActionResult:
        """Delete messages of ``peer`` (for everyone with ``revoke``); the ids deleted come back."""
        return await self._run(
            "delete_messages", lambda client: actions.delete_messages(client, peer, message_ids, revoke), peer
        )

    async def forward(
        self,
        source: PeerRef,
        message_ids: tuple[int, ...],
        target: PeerRef,
        *,
        drop_author: bool,
        random_id: int,
    ) -> ActionResult:
        """Forward messages of ``source`` to ``target``; Telegram deduplicates on ``random_id``."""
        return await self._run(
            "forward_messages",
            lambda client: actions.forward_messages(
                client, source, message_ids, target, drop_author, random_id
            ),
            target,
        )

    async def react(self, peer: PeerRef, message_id: int, emoji: str | None) -> ActionResult:
        """Set (or with None remove) the account's reaction on one message."""
        return await self._run(
            "set_reaction", lambda client: actions.set_reaction(client, peer, message_id, emoji), peer
        )

    async def peer_info(self, peer: PeerRef) -> PeerInfo:
        """``peer``'s full info: bio or description, members, badges, what this account may do there."""
        return await self._run("get_peer_info", lambda client: people.fetch_peer_info(client, peer), peer)

    async def search_peers(self, query: str, *, limit: int) -> list[PeerMatch]:
        """Contacts and chats of this account, then public usernames, matching ``query``."""
        return await self._run("search_contacts", lambda client: people.search_peers(client, query, limit))

    async def message_context(
        self, peer: PeerRef, message_id: int, *, before: int, after: int
    ) -> MessageContext:
        """Up to ``before`` older and ``after`` newer messages around ``message_id``, oldest first."""
        return await self._run(
            "get_message_context",
            lambda client: threads.fetch_context(client, peer, message_id, before, after),
            peer,
        )

    async def replies(self, peer: PeerRef, message_id: int, *, limit: int) -> ReplyThread:
        """The replies under ``message_id`` (a channel post's comments), newest first."""
        return await self._run(
            "get_replies", lambda client: threads.fetch_replies(client, peer, message_id, limit), peer
        )

    async def save_draft(
        self, peer: PeerRef, text: str, *, reply_to: int | None = None, topic_id: int | None = None
    ) -> str:
        """Put ``text`` in ``peer``'s own Telegram draft (``""`` clears it); the canonical peer back."""
        return await self._run(
            "save_draft", lambda client: drafts.save_draft(client, peer, text, reply_to, topic_id), peer
        )

    async def drafts(self) -> list[SavedDraft]:
        """Every chat's non-empty draft."""
        return await self._run("get_drafts", drafts.fetch_drafts)

    async def send_scheduled(
        self, peer: PeerRef, text: str, *, when: float, reply_to: int | None, random_id: int
    ) -> SentMessage:
        """Queue ``text`` for Telegram to send at ``when`` (epoch seconds), with the caller's random_id."""
        return await self._run(
            "send_message",
            lambda client: drafts.send_scheduled(client, peer, text, reply_to, random_id, when),
            peer,
        )

    async def scheduled(self, peer: PeerRef) -> list[Message]:
        """``peer``'s scheduled messages, latest first."""
        return await self._run(
            "get_scheduled_messages", lambda client: drafts.fetch_scheduled(client, peer), peer
        )

    async def delete_scheduled(self, peer: PeerRef, ids: list[int]) -> tuple[str, list[int]]:
        """Delete scheduled messages; the canonical peer and the ids Telegram deleted."""
        return await self._run(
            "delete_scheduled_messages", lambda client: drafts.delete_scheduled(client, peer, ids), peer
        )

    async def dialog_page(
        self, limit: int, *, query: str | None = None, folder: int | None = None, cursor: str | None = None
    ) -> DialogPage:
        """A page of the main list, the archive (``folder`` 1) or a chat folder, after ``cursor``."""
        return await self._run(
            "list_dialogs", lambda client: folders.fetch_dialog_page(client, limit, query, folder, cursor)
        )

    async def folders(self) -> list[ChatFolder]:
        """The person's chat folders, in their order."""
        return await self._run("list_folders", folders.fetch_folders)

    async def topics(self, peer: PeerRef, *, query: str | None, limit: int) -> TopicList:
        """A forum's topics with unread counts, pinned first then by latest activity."""
        return await self._run(
            "list_topics", lambda client: topics.fetch_topics(client, peer, query, limit), peer
        )

    async def topic_history(
        self, peer: PeerRef, topic_id: int, *, limit: int, before: int | None = None, after: int | None = None
    ) -> MessagePage:
        """A page of one forum topic, newest first (``history`` for a topic)."""
        return await self._run(
            "get_messages",
            lambda client: topics.fetch_topic_history(client, peer, topic_id, limit, before, after),
            peer,
        )

    async def topic_unread(self, peer: PeerRef, topic_id: int, *, limit: int) -> UnreadDigest:
        """Unread incoming messages in one forum topic, oldest first."""
        topic, found = await self._run(
            "get_unread_messages", lambda client: topics.topic_unread(client, peer, topic_id, limit), peer
        )
        return UnreadDigest(messages=tuple(found), chats=(_topic_chat(topic, found, peer),))

    async def mark_topic_read(self, peer: PeerRef, topic_id: int, max_id: int | None = None) -> int:
        """Mark one forum topic read up to ``max_id`` (None: its newest message); the id used."""
        return await self._run(
            "mark_read", lambda client: topics.mark_topic_read(client, peer, topic_id, max_id), peer
        )

    async def send_media(
        self, peer: PeerRef, upload: MediaUpload, *, reply_to: int | None, random_id: int
    ) -> SentMessage:
        """Upload ``upload`` in parts and send it with the caller's ``random_id`` (deduplicated on it)."""
        return await self._run(
            "send_media",
            lambda client: media_sending.send_media(client, peer, upload, reply_to, random_id),
            peer,
        )

    async def media(
        self, peer: PeerRef, message_id: int, mode: MediaMode, limits: MediaLimits
    ) -> MediaContent:
        """Message ``message_id``'s attachment: downloaded only as far as ``mode`` and ``limits`` allow."""
        return await self._run(
            "get_media", lambda client: media.fetch_media(client, peer, message_id, mode, limits), peer
        )

    async def photos(
        self, peer: PeerRef, message_ids: tuple[int, ...], limits: MediaLimits, total_bytes: int
    ) -> dict[int, bytes]:
        """The photos among ``message_ids`` (JPEG bytes by id), newest first, within ``total_bytes``."""
        return await self._run(
            "get_messages_images",
            lambda client: media.fetch_images(client, peer, message_ids, limits, total_bytes),
            peer,
        )


def _topic_chat(topic: ForumTopic, found: list[Message], peer: PeerRef) -> UnreadChat:
    title = next((m.peer_title for m in found if m.peer_title), "")
    return UnreadChat(
        peer=next((m.peer for m in found), str(peer)),
        title=f"{title} / {topic.title}" if title else topic.title,
        unread_count=topic.unread_count,
        returned=len(found),
        muted=False,
        mentioned=topic.unread_mentions_count > 0,
    )
