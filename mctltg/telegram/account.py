"""A connected Telegram account as Trio code sees it: one typed method per use case.

Adding a Telegram use case means one method here plus its operation in
``on_loop/``; tools call the method and never see a callable, a client or ``Any``.
Each method crosses to the Telethon thread once (``TelegramConnection.run_and_snapshot``
also returns the session's bytes when the call taught it something), under the call
deadline, with Telethon's errors translated.

Every call honours the account's sharing rule (``telegram/sharing.py``): ``_run`` checks
each peer a method names before any RPC, and listing methods filter at the source, so a
tool cannot forget it; each public method declares which with ``@shares``. A new method:

- takes a chat (``PeerRef``)? ``@shares(Sharing.NAMES_PEERS)`` and pass EVERY ``PeerRef`` to
  ``self._run(operation, op, *peers)`` (``tests/telegram/test_sharing.py`` calls it with an
  unshared peer and fails if Telegram is reached);
- returns chats, messages of several chats or counts? ``@shares(Sharing.FILTERS)`` and
  filter with ``admits = await self._admits()`` (None: everything shared): inside the
  operation when it decides what to fetch or count, after it for a finished list;
- neither (the account's own profile)? ``@shares(Sharing.NO_CHAT)``.

What the account layer adds around every call (waiting for the connection to be
ready, recording use, revoking an account whose session Telegram ended, writing the
session back) comes in through ``AccountLease``, so ``telegram/`` stays free of
policy and storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Final, Protocol, TypeVar

import trio

from mctltg.errors import (
    AccountRevoked,
    MctltgError,
    SessionDead,
    TelegramError,
    TelegramRpcError,
    TelegramTimeout,
    TelegramUnavailable,
)
from mctltg.telegram.connection import Operation, TelegramConnection
from mctltg.telegram.model import (
    AccountProfile,
    ActionResult,
    ChatFolder,
    Dialog,
    DialogPage,
    ForumTopic,
    MediaContent,
    MediaFile,
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
    media_stream,
    messages,
    people,
    session_end,
    shared,
    threads,
    topics,
    unread,
    writing,
)
from mctltg.telegram.on_loop import send_media as media_sending
from mctltg.telegram.sharing import VIEW_TTL, SharedView, Sharing, SharingRule, shares

__all__ = ["AccountLease", "MediaDownload", "TelegramAccount"]

T = TypeVar("T")
#: What one ``messages.searchGlobal`` returns at most.
GLOBAL_SEARCH_MAX: Final = 100


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

    def remembered_view(self) -> tuple[SharedView, float] | None:
        """The account's last folder expansion and when it was made (``trio.current_time``)."""
        ...

    def remember_view(self, view: SharedView, at: float) -> None:
        """Keep a folder expansion for the account's next calls."""
        ...


class TelegramAccount:
    """One account's Telegram use cases; obtained from ``accounts.AccountDirectory.account_for``."""

    def __init__(self, lease: AccountLease, *, sharing: SharingRule) -> None:
        self._lease = lease
        self._sharing = sharing

    @property
    def sharing(self) -> SharingRule:
        """The sharing rule every call of this account honours."""
        return self._sharing

    async def _view(self) -> SharedView:
        """The rule with its folders expanded (one expansion per ``VIEW_TTL`` per account)."""
        rule = self._sharing
        if rule.everything or not rule.folders:
            return SharedView(rule=rule)
        now = trio.current_time()
        remembered = self._lease.remembered_view()
        if remembered is not None:
            view, at = remembered
            if view.rule.folders == rule.folders and now - at < VIEW_TTL:
                return replace(view, rule=rule)
        chats = await self._call("list_folders", lambda client: shared.folder_chats(client, rule.folders))
        view = SharedView(rule=rule, folder_chats=chats)
        self._lease.remember_view(view, now)
        return view

    async def _run(self, operation: str, op: Operation[T], *peers: PeerRef | None) -> T:
        """Run ``op`` after checking, in the same crossing and before any RPC, each peer it names."""
        view = await self._view()
        if view.restricted and any(p is not None for p in peers):
            inner = op

            async def op(client: object) -> T:
                await shared.check_peers(client, view, peers)
                return await inner(client)

        return await self._call(operation, op, next((p for p in peers if p is not None), None))

    async def _admits(self) -> Callable[[str], bool] | None:
        """The filter a listing applies, or None when every chat is shared."""
        view = await self._view()
        return view.admits if view.restricted else None

    async def _call(self, operation: str, op: Operation[T], peer: PeerRef | None = None) -> T:
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

    @shares(Sharing.NAMES_PEERS)
    async def check_shared(self, *peers: PeerRef) -> None:
        """Raise ``NotShared`` unless each peer is shared: no RPC, no crossing under the default rule.

        For callers that decide something before any Telegram call (the send gate's previews).
        """
        view = await self._view()
        if view.restricted:
            await self._run("check_shared", _nothing, *peers)

    @shares(Sharing.FILTERS)
    async def shared_filter(self) -> Callable[[str], bool] | None:
        """Whether a canonical chat id is shared, for lists made elsewhere (the audit log); None: all are."""
        return await self._admits()

    @shares(Sharing.NO_CHAT)
    async def profile(self) -> AccountProfile | None:
        """Who is logged in, or None when the session is not authorized."""
        return await self._run("get_me", dialogs.fetch_profile)

    @shares(Sharing.FILTERS)
    async def dialogs(self, limit: int, query: str | None = None) -> list[Dialog]:
        """The newest ``limit`` dialogs, optionally only those whose title or @username contains ``query``."""
        page = await self.dialog_page(limit, query=query)
        return list(page.dialogs)

    @shares(Sharing.NAMES_PEERS)
    async def history(
        self, peer: PeerRef, *, limit: int, before: int | None = None, after: int | None = None
    ) -> MessagePage:
        """A page of ``peer``'s history, newest first: older than ``before``, newer than ``after``."""
        return await self._run(
            "get_messages", lambda client: messages.fetch_history(client, peer, limit, before, after), peer
        )

    @shares(Sharing.NAMES_PEERS, Sharing.FILTERS)
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
        admits = await self._admits() if peer is None else None
        # Across chats under a rule, ask for Telegram's most (same one RPC), keep the shared.
        asked = limit if admits is None else GLOBAL_SEARCH_MAX
        found = await self._run(
            "search_messages",
            lambda client: messages.search_messages(client, peer, query, asked, min_date, max_date, topic_id),
            peer,
        )
        return found if admits is None else [m for m in found if admits(m.peer)][:limit]

    @shares(Sharing.NAMES_PEERS, Sharing.FILTERS)
    async def unread(self, peer: PeerRef | None, *, limit: int) -> UnreadDigest:
        """Unread incoming messages in ``peer`` (or across chats), in priority order."""
        admits = await self._admits() if peer is None else None
        return await self._run(
            "get_unread_messages", lambda client: unread.fetch_unread(client, peer, limit, admits), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def mark_read(self, peer: PeerRef, max_id: int | None = None) -> int | None:
        """Mark ``peer`` read up to ``max_id`` (None: everything); the id Telegram was sent.

        A channel without ``max_id`` is read up to its newest message, whose id comes back.
        """
        return await self._run("mark_read", lambda client: messages.mark_read(client, peer, max_id), peer)

    @shares(Sharing.NAMES_PEERS)
    async def send_text(
        self, peer: PeerRef, text: str, *, reply_to: int | None, random_id: int
    ) -> SentMessage:
        """Send ``text`` exactly as given with the caller's ``random_id`` (Telegram deduplicates on it)."""
        return await self._run(
            "send_message",
            lambda client: writing.send_text(client, peer, text, reply_to, random_id),
            peer,
        )

    @shares(Sharing.NAMES_PEERS)
    async def pin(
        self, peer: PeerRef, message_id: int, *, unpin: bool = False, silent: bool = False
    ) -> PinResult:
        """Pin (or unpin) one message in ``peer``."""
        return await self._run(
            "pin_message", lambda client: writing.pin_message(client, peer, message_id, unpin, silent), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def edit(self, peer: PeerRef, message_id: int, text: str) -> ActionResult:
        """Replace the text of one of the account's own messages in ``peer``."""
        return await self._run(
            "edit_message", lambda client: actions.edit_message(client, peer, message_id, text), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def delete(self, peer: PeerRef, message_ids: tuple[int, ...], *, revoke: bool) -> ActionResult:
        """Delete messages of ``peer`` (for everyone with ``revoke``); the ids deleted come back."""
        return await self._run(
            "delete_messages", lambda client: actions.delete_messages(client, peer, message_ids, revoke), peer
        )

    @shares(Sharing.NAMES_PEERS)
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
            source,
        )

    @shares(Sharing.NAMES_PEERS)
    async def react(self, peer: PeerRef, message_id: int, emoji: str | None) -> ActionResult:
        """Set (or with None remove) the account's reaction on one message."""
        return await self._run(
            "set_reaction", lambda client: actions.set_reaction(client, peer, message_id, emoji), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def peer_info(self, peer: PeerRef) -> PeerInfo:
        """``peer``'s full info: bio or description, members, badges, what this account may do there."""
        info = await self._run("get_peer_info", lambda client: people.fetch_peer_info(client, peer), peer)
        admits = await self._admits()
        if admits is None or info.linked_chat is None or admits(info.linked_chat):
            return info
        return replace(info, linked_chat=None)

    @shares(Sharing.FILTERS)
    async def search_peers(self, query: str, *, limit: int) -> list[PeerMatch]:
        """Contacts and chats of this account, then public usernames, matching ``query``."""
        found = await self._run("search_contacts", lambda client: people.search_peers(client, query, limit))
        admits = await self._admits()
        return found if admits is None else [m for m in found if admits(m.peer)]

    @shares(Sharing.NAMES_PEERS)
    async def message_context(
        self, peer: PeerRef, message_id: int, *, before: int, after: int
    ) -> MessageContext:
        """Up to ``before`` older and ``after`` newer messages around ``message_id``, oldest first."""
        return await self._run(
            "get_message_context",
            lambda client: threads.fetch_context(client, peer, message_id, before, after),
            peer,
        )

    @shares(Sharing.NAMES_PEERS)
    async def replies(self, peer: PeerRef, message_id: int, *, limit: int) -> ReplyThread:
        """The replies under ``message_id`` (a channel post's comments), newest first."""
        return await self._run(
            "get_replies", lambda client: threads.fetch_replies(client, peer, message_id, limit), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def save_draft(
        self, peer: PeerRef, text: str, *, reply_to: int | None = None, topic_id: int | None = None
    ) -> str:
        """Put ``text`` in ``peer``'s own Telegram draft (``""`` clears it); the canonical peer back."""
        return await self._run(
            "save_draft", lambda client: drafts.save_draft(client, peer, text, reply_to, topic_id), peer
        )

    @shares(Sharing.FILTERS)
    async def drafts(self) -> list[SavedDraft]:
        """Every chat's non-empty draft."""
        found = await self._run("get_drafts", drafts.fetch_drafts)
        admits = await self._admits()
        return found if admits is None else [d for d in found if admits(d.peer)]

    @shares(Sharing.NAMES_PEERS)
    async def send_scheduled(
        self, peer: PeerRef, text: str, *, when: float, reply_to: int | None, random_id: int
    ) -> SentMessage:
        """Queue ``text`` for Telegram to send at ``when`` (epoch seconds), with the caller's random_id."""
        return await self._run(
            "send_message",
            lambda client: drafts.send_scheduled(client, peer, text, reply_to, random_id, when),
            peer,
        )

    @shares(Sharing.NAMES_PEERS)
    async def scheduled(self, peer: PeerRef) -> list[Message]:
        """``peer``'s scheduled messages, latest first."""
        return await self._run(
            "get_scheduled_messages", lambda client: drafts.fetch_scheduled(client, peer), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def delete_scheduled(self, peer: PeerRef, ids: list[int]) -> tuple[str, list[int]]:
        """Delete scheduled messages; the canonical peer and the ids Telegram deleted."""
        return await self._run(
            "delete_scheduled_messages", lambda client: drafts.delete_scheduled(client, peer, ids), peer
        )

    @shares(Sharing.FILTERS)
    async def dialog_page(
        self, limit: int, *, query: str | None = None, folder: int | None = None, cursor: str | None = None
    ) -> DialogPage:
        """A page of the main list, the archive (``folder`` 1) or a chat folder, after ``cursor``."""
        admits = await self._admits()
        return await self._run(
            "list_dialogs",
            lambda client: folders.fetch_dialog_page(client, limit, query, folder, cursor, admits),
        )

    @shares(Sharing.FILTERS)
    async def folders(self) -> list[ChatFolder]:
        """The person's chat folders, in their order."""
        found = await self._run("list_folders", folders.fetch_folders)
        admits = await self._admits()
        if admits is None:
            return found
        return [
            replace(
                f,
                include=tuple(p for p in f.include if admits(p)),
                exclude=tuple(p for p in f.exclude if admits(p)),
            )
            for f in found
        ]

    @shares(Sharing.NAMES_PEERS)
    async def topics(self, peer: PeerRef, *, query: str | None, limit: int) -> TopicList:
        """A forum's topics with unread counts, pinned first then by latest activity."""
        return await self._run(
            "list_topics", lambda client: topics.fetch_topics(client, peer, query, limit), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def topic_history(
        self, peer: PeerRef, topic_id: int, *, limit: int, before: int | None = None, after: int | None = None
    ) -> MessagePage:
        """A page of one forum topic, newest first (``history`` for a topic)."""
        return await self._run(
            "get_messages",
            lambda client: topics.fetch_topic_history(client, peer, topic_id, limit, before, after),
            peer,
        )

    @shares(Sharing.NAMES_PEERS)
    async def topic_unread(self, peer: PeerRef, topic_id: int, *, limit: int) -> UnreadDigest:
        """Unread incoming messages in one forum topic, oldest first."""
        topic, found = await self._run(
            "get_unread_messages", lambda client: topics.topic_unread(client, peer, topic_id, limit), peer
        )
        return UnreadDigest(messages=tuple(found), chats=(_topic_chat(topic, found, peer),))

    @shares(Sharing.NAMES_PEERS)
    async def mark_topic_read(self, peer: PeerRef, topic_id: int, max_id: int | None = None) -> int:
        """Mark one forum topic read up to ``max_id`` (None: its newest message); the id used."""
        return await self._run(
            "mark_read", lambda client: topics.mark_topic_read(client, peer, topic_id, max_id), peer
        )

    @shares(Sharing.NAMES_PEERS)
    @asynccontextmanager
    async def media_download(
        self, peer: PeerRef, message_id: int, *, offset: int = 0
    ) -> AsyncIterator[MediaDownload]:
        """An open download of the message's file from byte ``offset``, read piece by piece.

        Each piece is its own call under the call deadline, so a stalled Telegram ends
        the download instead of hanging it; leaving the block releases what the
        download borrowed, even when the reader went away mid-file.

        Raises:
            TelegramRpcError: MSG_ID_INVALID, the message is gone.
            InvalidInput: the message carries no document.
        """
        download = await self._run(
            "download_media",
            lambda client: media_stream.open_download(client, peer, message_id, offset),
            peer,
        )
        try:
            yield MediaDownload(self, download)
        finally:
            # a gone connection took what the download held with it: nothing left to release
            shielded = trio.CancelScope(shield=True)
            with shielded, trio.move_on_after(CLOSE_GRACE_SECONDS), suppress(MctltgError):
                await self._call("download_media", lambda c: media_stream.close_download(c, download))

    @shares(Sharing.NAMES_PEERS)
    async def send_media(
        self, peer: PeerRef, upload: MediaUpload, *, reply_to: int | None, random_id: int
    ) -> SentMessage:
        """Upload ``upload`` in parts, then send it with the caller's ``random_id`` (deduplicated on it).

        Raises:
            TelegramRpcError: ``UPLOAD_UNFINISHED`` when the upload timed out or its connection
                dropped: ``messages.sendMedia`` was never issued, so nothing was sent.
        """
        try:
            media = await self._run(
                "send_media", lambda client: media_sending.upload_media(client, upload), peer
            )
        except (TelegramTimeout, TelegramUnavailable) as exc:
            why = f"within {exc.seconds:g} s" if isinstance(exc, TelegramTimeout) else "(connection dropped)"
            raise TelegramRpcError(
                "UPLOAD_UNFINISHED",
                f"The file's upload to Telegram did not finish {why}; nothing was sent, so it is safe "
                "to send again.",
            ) from None
        return await self._run(
            "send_media",
            lambda client: media_sending.send_uploaded(client, peer, upload, media, reply_to, random_id),
            peer,
        )

    @shares(Sharing.NAMES_PEERS)
    async def media(
        self, peer: PeerRef, message_id: int, mode: MediaMode, limits: MediaLimits
    ) -> MediaContent:
        """Message ``message_id``'s attachment: downloaded only as far as ``mode`` and ``limits`` allow."""
        return await self._run(
            "get_media", lambda client: media.fetch_media(client, peer, message_id, mode, limits), peer
        )

    @shares(Sharing.NAMES_PEERS)
    async def photos(
        self, peer: PeerRef, message_ids: tuple[int, ...], limits: MediaLimits, total_bytes: int
    ) -> dict[int, bytes]:
        """The photos among ``message_ids`` (JPEG bytes by id), newest first, within ``total_bytes``."""
        return await self._run(
            "get_messages_images",
            lambda client: media.fetch_images(client, peer, message_ids, limits, total_bytes),
            peer,
        )

    @shares(Sharing.NO_CHAT)
    async def log_out(self) -> bool:
        """End this session at Telegram (``auth.logOut``): the auth key stops working everywhere.

        True when Telegram confirmed, or had already ended the session. The session's
        bytes are not written back (the account layer erases the stored copy first and
        retires the task after), so this bypasses ``_run``'s snapshot.

        Raises:
            AccountRevoked, AccountNotReady, TelegramError: no connection, or Telegram failed.
        """
        connection = await self._lease.ready_connection()
        try:
            return await connection.run("log_out", session_end.log_out)
        except SessionDead:
            return True


async def _nothing(client: object) -> None:
    return None


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


#: How long closing a download may take when its reader has already gone.
CLOSE_GRACE_SECONDS = 5.0


class MediaDownload:
    """One message's file being read; obtained from ``TelegramAccount.media_download``."""

    def __init__(self, account: TelegramAccount, download: media_stream.Download) -> None:
        self._account = account
        self._download = download

    @property
    def file(self) -> MediaFile:
        """What is being downloaded: its size, type and name."""
        return self._download.file

    async def next_piece(self) -> bytes:
        """The next piece of the file (at most ``media_stream.PIECE_SIZE`` bytes); ``b""`` at its end."""
        download = self._download
        return await self._account._call(  # checked for sharing when the download was opened
            "download_media", lambda client: media_stream.read_piece(client, download)
        )
