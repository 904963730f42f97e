"""``SandboxWorld``: the in-process Telegram that real Telethon clients talk to.

A test or the demo builds the world (people, chats, messages), then :meth:`attach`\\ es
each ``TelegramClient`` right after constructing it. Population methods may be called
from any thread: they take the world's lock and push updates to connected clients
through their loops. Faults, the RPC log and ``history`` are there for assertions.
"""

from __future__ import annotations

import secrets
import threading
from typing import TYPE_CHECKING, Any, Literal

from telethon.crypto import AuthKey

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.sandbox import srp
from mctltg.sandbox.engine import Draft, post
from mctltg.sandbox.faults import Fault, FaultBook
from mctltg.sandbox.handlers_login import accept_token
from mctltg.sandbox.marks import mute, pin, read_history
from mctltg.sandbox.media import rotate_reference
from mctltg.sandbox.render import access_hash
from mctltg.sandbox.rules import check_username, phone_digits, refused_as_value_error
from mctltg.sandbox.sender import SandboxSender
from mctltg.sandbox.state import (
    SERVICE_USER_ID,
    Account,
    ChannelRecord,
    DraftRecord,
    FilterRecord,
    GroupRecord,
    KeyRecord,
    PeerKey,
    StoredMessage,
    TopicRecord,
    UserRecord,
    WorldState,
)
from mctltg.sandbox.switchboard import Switchboard
from mctltg.sandbox.values import SandboxAuthorization, SandboxMedia, SandboxMessage
from mctltg.sandbox.views import as_value, messages_in

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SandboxWorld"]


class SandboxWorld:
    """An in-process Telegram: users, chats, channels, messages, logins and faults.

    Args:
        clock: Wall time in seconds; message dates, code expiry and QR tokens use it.
        round_trip: Copy every request and answer through the TL wire format (keep it on
            in tests: it catches wrongly typed fields exactly where Telegram would).
    """

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK, round_trip: bool = True) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._state = WorldState(faults=FaultBook())
        self.code_expiry_seconds: float = 300.0
        self.unimplemented_calls: list[str] = self._state.unimplemented
        """Names of requests answered with ``METHOD_NOT_IMPLEMENTED_IN_SANDBOX``, in order."""
        self._switchboard = Switchboard(
            self._state,
            self._lock,
            clock=clock,
            round_trip=round_trip,
            code_expiry=lambda: self.code_expiry_seconds,
        )
        self._new_user(UserRecord(SERVICE_USER_ID, "Telegram", None, None, "42777", service=True))

    def now(self) -> float:
        """The world's clock."""
        return self._clock()

    # wiring

    def attach(self, client: Any) -> None:
        """Point ``client`` (a ``TelegramClient``) at this world; call on its loop thread."""
        client._sender = SandboxSender(
            self._switchboard,
            auth_key=client.session.auth_key,
            auth_key_callback=client._auth_key_callback,
            updates_queue=client._updates_queue,
        )

    # population

    def _new_user(self, user: UserRecord) -> None:
        self._state.users[user.id] = user
        self._state.accounts[user.id] = Account(user_id=user.id)

    def add_user(
        self,
        *,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        password: str | None = None,
        user_id: int | None = None,
        bot: bool = False,
    ) -> int:
        """Create an account; returns its user id.

        Raises:
            ValueError: a malformed or taken username, phone or id.
        """
        digits = phone_digits(phone) if phone is not None else None
        verifier = srp.make_verifier(password) if password else None
        with self._lock:
            state = self._state
            check_username(state, username)
            if digits and any(u.phone == digits for u in state.users.values()):
                raise ValueError("that phone number already has an account")
            if user_id is None:
                while state.next_user_id in state.users:
                    state.next_user_id += 1
                user_id = state.next_user_id
            elif user_id <= 0 or user_id in state.users:
                raise ValueError(f"user id {user_id} is invalid or taken")
            self._new_user(
                UserRecord(user_id, first_name, last_name, username, digits, bot=bot, password=verifier)
            )
            return user_id

    def add_contact(self, *, user_id: int, contact: int) -> None:
        """Put ``contact`` in ``user_id``'s contact list (phone numbers become visible)."""
        with self._lock:
            self._user(user_id)
            self._user(contact)
            self._state.accounts[user_id].contacts.add(contact)

    def create_group(
        self, *, title: str, creator: int, members: Sequence[int], date: float | None = None
    ) -> int:
        """Create a basic group (with its "created the group" service message); its id."""
        with self._lock:
            people = self._people([creator, *members])
            state = self._state
            group_id = state.next_group_id
            state.next_group_id += 1
            when = self._when(date)
            state.groups[group_id] = GroupRecord(group_id, title, creator, people, when)
            draft = Draft(
                sender=creator,
                peer=PeerKey("chat", group_id),
                date=when,
                action="chat_create",
                action_users=tuple(people),
            )
            post(state, draft)
            return group_id

    def create_channel(
        self,
        *,
        title: str,
        creator: int,
        members: Sequence[int] = (),
        megagroup: bool = False,
        username: str | None = None,
        date: float | None = None,
    ) -> int:
        """Create a broadcast channel or a supergroup (``megagroup``); its id."""
        with self._lock:
            people = self._people([creator, *members])
            check_username(self._state, username)
            state = self._state
            channel_id = state.next_channel_id
            state.next_channel_id += 1
            when = self._when(date)
            state.channels[channel_id] = ChannelRecord(
                channel_id, title, creator, people, megagroup, username, when
            )
            post(
                state,
                Draft(
                    sender=creator, peer=PeerKey("channel", channel_id), date=when, action="channel_create"
                ),
            )
            return channel_id

    def send(
        self,
        *,
        sender: int,
        peer: str,
        text: str,
        reply_to: int | None = None,
        date: float | None = None,
        media: SandboxMedia | None = None,
        silent: bool = False,
    ) -> int:
        """Deliver a message from ``sender`` to ``peer`` (as the sender sees it).

        Returns:
            The message id in the sender's box (for channels, the channel's message id).

        Raises:
            ValueError: the peer does not exist or the sender may not write there.
        """
        with self._lock:
            self._user(sender)
            draft = Draft(
                sender=sender,
                peer=PeerKey.parse(peer),
                text=text,
                date=self._when(date),
                reply_to=reply_to,
                media=media,
                silent=silent,
            )
            return int(refused_as_value_error(lambda: post(self._state, draft)).update.message.id)

    def add_service(
        self,
        *,
        actor: int,
        peer: str,
        action: Literal["chat_create", "join", "pin"],
        date: float | None = None,
        message_id: int | None = None,
    ) -> int:
        """Add a service message; returns its id in the actor's box (or the channel).

        ``join`` also makes ``actor`` a member. ``pin`` pins ``message_id`` (default: the
        chat's latest message) and posts the "pinned a message" notice.
        """
        key = PeerKey.parse(peer)
        with self._lock:
            self._user(actor)
            state = self._state
            when = self._when(date)
            if action == "pin":
                return self._pin_notice(actor, key, when, message_id)
            users: tuple[int, ...] = (actor,)
            kind: str = action
            if action == "join":
                members = self._members(key)
                if actor not in members:
                    members.append(actor)
            elif key.kind == "channel":
                kind = "channel_create"
            else:
                users = tuple(self._members(key))
            draft = Draft(sender=actor, peer=key, date=when, action=kind, action_users=users)
            return int(refused_as_value_error(lambda: post(state, draft)).update.message.id)

    def _pin_notice(self, actor: int, peer: PeerKey, when: float, message_id: int | None) -> int:
        candidates = [m.id for m in messages_in(self._state, actor, peer) if m.action is None]
        target = message_id if message_id is not None else (candidates[-1] if candidates else None)
        if target is None:
            raise ValueError("there is no message to pin in that chat")
        changes = refused_as_value_error(lambda: pin(self._state, actor, peer, target, when))
        notice = getattr(changes[-1].update, "message", None) if changes else None
        if notice is not None:
            return int(notice.id)
        draft = Draft(sender=actor, peer=peer, date=when, reply_to=target, action="pin")
        return int(refused_as_value_error(lambda: post(self._state, draft)).update.message.id)

    def read(self, *, user_id: int, peer: str, max_id: int | None = None) -> None:
        """Mark ``peer`` read for ``user_id`` up to ``max_id`` (``None``: everything)."""
        with self._lock:
            self._user(user_id)
            read_history(self._state, user_id, PeerKey.parse(peer), max_id or 0, self._clock())

    def mute(self, *, user_id: int, peer: str, muted: bool = True) -> None:
        with self._lock:
            self._user(user_id)
            mute(self._state, user_id, PeerKey.parse(peer), muted, self._clock())

    def set_password(self, user_id: int, password: str | None) -> None:
        """Set (or with ``None`` remove) the account's 2FA password."""
        verifier = srp.make_verifier(password) if password else None
        with self._lock:
            self._user(user_id).password = verifier

    # authorizations

    def authorize_new_key(self, user_id: int) -> bytes:
        """A fresh 256-byte auth key, already logged in as ``user_id``."""
        key = secrets.token_bytes(256)
        self.authorize_key(user_id, key)
        return key

    def authorize_key(self, user_id: int, key: bytes) -> None:
        """Register a given 256-byte auth key, logged in as ``user_id``.

        A world rebuilt after a restart can so recognise the key a saved session holds.
        """
        if len(key) != 256:
            raise ValueError("an auth key is 256 bytes")
        key_id = AuthKey(key).key_id
        with self._lock:
            self._user(user_id)
            now = self._clock()
            self._state.keys[key_id] = KeyRecord(
                key_id=key_id, key=key, user_id=user_id, created=now, active=now
            )

    def revoke_authorizations(self, user_id: int) -> None:
        """Log every key of ``user_id`` out; their next calls answer 401 AUTH_KEY_UNREGISTERED."""
        with self._lock:
            for key in self._state.keys.values():
                if key.user_id == user_id:
                    key.user_id = None
                    key.srp = None

    def authorizations(self, user_id: int) -> list[SandboxAuthorization]:
        with self._lock:
            return [
                SandboxAuthorization(
                    key_id=k.key_id,
                    device_model=k.device_model,
                    system_version=k.system_version,
                    app_version=k.app_version,
                )
                for k in self._state.keys.values()
                if k.user_id == user_id
            ]

    def connections(self, user_id: int) -> int:
        """How many clients are connected right now with a key logged in as ``user_id``.

        Two means two owners of the account's sessions (what gets real sessions killed).
        """
        with self._lock:
            return len(self._state.endpoints_of(user_id))

    def last_login_code(self, phone: str) -> str | None:
        with self._lock:
            pending = self._state.codes.get(phone_digits(phone))
            return pending.code if pending else None

    def accept_qr_login(self, token: bytes, *, user_id: int) -> None:
        """Accept a QR login token as ``user_id`` (as scanning it in an app would).

        Raises:
            ValueError: the token is unknown, already used or expired.
        """
        with self._lock:
            self._user(user_id)
            refused_as_value_error(lambda: accept_token(self._state, token, user_id, self._clock()))

    # faults and observation

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._state.faults.add(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()

    def mark(self) -> int:
        """A position in the RPC log, for :meth:`calls_since`."""
        with self._lock:
            return len(self._state.calls)

    def calls_since(self, mark: int, *, user_id: int | None = None) -> list[str]:
        """Names of the requests received since ``mark``, optionally only by ``user_id``."""
        with self._lock:
            calls = self._state.calls[mark:]
            return [c.name for c in calls if user_id is None or c.user_id == user_id]

    def history(self, *, viewer: int, peer: str) -> list[SandboxMessage]:
        """The chat as ``viewer`` sees it, newest first."""
        with self._lock:
            self._user(viewer)
            key = PeerKey.parse(peer)
            return [as_value(viewer, m) for m in reversed(messages_in(self._state, viewer, key))]

    def allow_reactions(self, *, peer: str, emoji: Sequence[str]) -> None:
        """Let a group or channel allow only ``emoji`` as reactions (``messages.sendReaction``)."""
        with self._lock:
            key = PeerKey.parse(peer)
            self._members(key)
            room = self._state.groups[key.id] if key.kind == "chat" else self._state.channels[key.id]
            room.reactions = tuple(emoji)

    def access_hash(self, *, viewer: int, peer: str) -> int:
        """The access hash ``viewer`` holds for a user or channel (for assertions)."""
        key = PeerKey.parse(peer)
        if key.kind == "chat":
            raise ValueError("basic groups have no access hash")
        return access_hash(self._state, viewer, key.kind, key.id)

    def describe_user(
        self,
        user_id: int,
        *,
        about: str | None = None,
        verified: bool = False,
        scam: bool = False,
        fake: bool = False,
        premium: bool = False,
        phone_private: bool = False,
    ) -> None:
        """Set a person's bio, badges and whether they hide their phone from contacts."""
        with self._lock:
            user = self._user(user_id)
            user.about, user.verified, user.scam, user.fake = about, verified, scam, fake
            user.premium, user.phone_private = premium, phone_private

    def describe_channel(
        self,
        channel_id: int,
        *,
        about: str = "",
        slowmode_seconds: int = 0,
        verified: bool = False,
        scam: bool = False,
        fake: bool = False,
    ) -> None:
        """Set a channel's or supergroup's description, slow mode and badges."""
        with self._lock:
            channel = self._channel(channel_id)
            channel.about, channel.slowmode_seconds = about, slowmode_seconds
            channel.verified, channel.scam, channel.fake = verified, scam, fake

    def open_comments(self, *, channel: int, post_id: int, discussion: int) -> int:
        """Link ``discussion`` to ``channel`` and copy post ``post_id`` there: comments reply to the copy.

        Returns:
            The copy's id in the discussion supergroup.
        """
        with self._lock:
            broadcast, group = self._channel(channel), self._channel(discussion)
            if broadcast.megagroup or not group.megagroup:
                raise ValueError("comments link a broadcast channel to a supergroup")
            original = broadcast.messages[post_id]
            broadcast.linked_chat, group.linked_chat = discussion, channel
            draft = Draft(
                sender=group.creator,
                peer=PeerKey("channel", discussion),
                text=original.text,
                date=original.date,
            )
            copy = int(refused_as_value_error(lambda: post(self._state, draft)).update.message.id)
            broadcast.threads[post_id] = copy
            return copy

    def put_draft(self, *, owner: int, peer: str, text: str, date: float | None = None) -> None:
        """Leave ``text`` as ``owner``'s unsent draft in ``peer`` (seed data; tools use saveDraft)."""
        with self._lock:
            self._user(owner)
            record = DraftRecord(text=text, date=self._when(date))
            self._state.drafts[(owner, PeerKey.parse(peer), 0)] = record

    def draft(self, *, viewer: int, peer: str, topic_id: int = 0) -> str | None:
        """The text of ``viewer``'s saved draft in ``peer`` (None: no draft)."""
        with self._lock:
            record = self._state.drafts.get((viewer, PeerKey.parse(peer), topic_id))
            return None if record is None else record.text

    def scheduled(self, *, viewer: int, peer: str) -> list[SandboxMessage]:
        """``viewer``'s scheduled queue in ``peer``, soonest first (``date`` is when it goes out)."""
        with self._lock:
            queue = self._state.scheduled.get((viewer, PeerKey.parse(peer)))
            queued = [] if queue is None else list(queue.messages.values())
            return [as_value(viewer, m) for m in sorted(queued, key=lambda m: (m.date, m.id))]

    # helpers

    def _channel(self, channel_id: int) -> ChannelRecord:
        channel = self._state.channels.get(channel_id)
        if channel is None:
            raise ValueError(f"no channel {channel_id} in this world")
        return channel

    def _when(self, date: float | None) -> float:
        return self._clock() if date is None else date

    def _user(self, user_id: int) -> UserRecord:
        user = self._state.users.get(user_id)
        if user is None:
            raise ValueError(f"no user {user_id} in this world")
        return user

    def _people(self, ids: Sequence[int]) -> list[int]:
        for user_id in ids:
            self._user(user_id)
        return list(dict.fromkeys(ids))

    def _members(self, peer: PeerKey) -> list[int]:
        if peer.kind == "chat" and peer.id in self._state.groups:
            return self._state.groups[peer.id].members
        if peer.kind == "channel" and peer.id in self._state.channels:
            return self._state.channels[peer.id].members
        raise ValueError(f"{peer.ref} is not a group or channel of this world")

    # Forum topics, chat folders and the archive (``handlers_forums``).

    def make_forum(self, *, peer: str) -> None:
        """Turn a supergroup into a forum; its "General" topic (id 1) holds earlier messages."""
        key = PeerKey.parse(peer)
        with self._lock:
            channel = self._state.channels.get(key.id) if key.kind == "channel" else None
            if channel is None or not channel.megagroup:
                raise ValueError("only a supergroup can become a forum")
            channel.forum = True
            channel.topics.setdefault(1, TopicRecord(1, "General", channel.creator, channel.date))

    def create_topic(
        self, *, actor: int, peer: str, title: str, date: float | None = None, closed: bool = False
    ) -> int:
        """Open a topic in a forum (as ``channels.createForumTopic`` does); its id."""
        key = PeerKey.parse(peer)
        with self._lock:
            channel = self._state.channels.get(key.id) if key.kind == "channel" else None
            if channel is None or not channel.forum:
                raise ValueError("topics live only in forum supergroups; call make_forum first")
            when = self._when(date)
            topic = channel.next_id
            channel.topics[topic] = TopicRecord(topic, title, actor, when)
            draft = Draft(sender=actor, peer=key, date=when, action="topic_create")
            refused_as_value_error(lambda: post(self._state, draft))
            channel.topics[topic].closed = closed
            return topic

    def add_folder(
        self,
        *,
        user_id: int,
        title: str,
        include: Sequence[str] = (),
        contacts: bool = False,
        groups: bool = False,
    ) -> int:
        """Add a chat folder for ``user_id``: the chats in ``include`` plus contacts or groups; its id."""
        with self._lock:
            account = self._state.accounts[self._user(user_id).id]
            folder_id = 1 + max((f.id for f in account.filters), default=1)
            peers = [PeerKey.parse(p) for p in include]
            record = FilterRecord(folder_id, title, include=peers, contacts=contacts, groups=groups)
            account.filters.append(record)
            return folder_id

    def archive(self, *, user_id: int, peer: str, archived: bool = True) -> None:
        """Move a chat into (or out of) the account's archive, Telegram's folder 1."""
        with self._lock:
            self._user(user_id)
            read_state = self._state.accounts[user_id].read_state(PeerKey.parse(peer))
            read_state.folder_id = 1 if archived else 0

    def close_topic(self, *, peer: str, topic: int, closed: bool = True) -> None:
        """Close (or reopen) a forum topic: only its admins may still write there."""
        key = PeerKey.parse(peer)
        with self._lock:
            channel = self._state.channels.get(key.id) if key.kind == "channel" else None
            if channel is None or topic not in channel.topics:
                raise ValueError(f"{peer} has no topic {topic}")
            channel.topics[topic].closed = closed

    # media (appended for issue 15)

    def media(self, *, viewer: int, peer: str, message_id: int) -> SandboxMedia | None:
        """The attachment of one message as ``viewer`` sees it (None: no such message or no media)."""
        with self._lock:
            found = self._stored(viewer, PeerKey.parse(peer), message_id)
            return None if found is None else found.media

    def expire_file_references(self, *, viewer: int, peer: str, message_id: int) -> None:
        """Expire the ``file_reference`` of one message's attachment, as Telegram does after hours.

        A download with the old reference answers ``FILE_REFERENCE_EXPIRED``; fetching the
        message again hands out the new one.
        """
        with self._lock:
            found = self._stored(viewer, PeerKey.parse(peer), message_id)
            if found is None or found.media is None:
                raise ValueError(f"{peer} has no message {message_id} with media")
            rotate_reference(self._state, found.media_id)

    def allow_transcriptions(self, user_id: int, *, trials: int) -> None:
        """Give a non-Premium account ``trials`` free voice transcriptions for this week."""
        if trials < 0:
            raise ValueError("trials cannot be negative")
        with self._lock:
            self._user(user_id).transcription_trials = trials

    def _stored(self, viewer: int, peer: PeerKey, message_id: int) -> StoredMessage | None:
        if peer.kind == "channel":
            return self._channel(peer.id).messages.get(message_id)
        found = self._state.accounts[viewer].box.messages.get(message_id)
        return found if found is not None and found.peer == peer else None
