"""The sandbox world's mutable records: people, chats, message boxes, read marks, keys.

Plain data only. :mod:`engine` changes these records, :mod:`render` turns them into TL
objects for one viewer, and :class:`~mctltg.sandbox.world.SandboxWorld` guards them all
with one lock. Message ids follow Telegram: every account has its own id sequence for
private chats and basic groups (its *box*), every channel has one sequence shared by all
members.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from mctltg.sandbox.faults import FaultBook
    from mctltg.sandbox.srp import SrpSession, SrpVerifier
    from mctltg.sandbox.values import SandboxMedia

__all__ = [
    "PERSISTENT_MAX_LOG",
    "SERVICE_USER_ID",
    "Account",
    "Box",
    "CallRecord",
    "ChannelRecord",
    "DraftRecord",
    "Endpoint",
    "FilterRecord",
    "GroupRecord",
    "KeyRecord",
    "LogEntry",
    "PeerKey",
    "PendingCode",
    "QrToken",
    "ReadState",
    "ScheduledQueue",
    "StoredMessage",
    "TopicRecord",
    "UploadRecord",
    "UserRecord",
    "WorldState",
]

SERVICE_USER_ID = 777000
PERSISTENT_MAX_LOG = 5000
"""Updates kept per account or channel for getDifference; older gaps get *TooLong."""

PeerKind = Literal["user", "chat", "channel"]


@dataclass(frozen=True, slots=True, order=True)
class PeerKey:
    """A peer as one account sees it: ``user:<id>``, ``chat:<id>`` or ``channel:<id>``."""

    kind: PeerKind
    id: int

    @classmethod
    def parse(cls, ref: str) -> PeerKey:
        """Parse ``"user:1001"``.

        Raises:
            ValueError: the text is not ``<kind>:<positive int>``.
        """
        kind, _, number = ref.partition(":")
        if kind not in ("user", "chat", "channel") or not number.isdigit() or int(number) <= 0:
            raise ValueError(f"peer must look like 'user:<id>', 'chat:<id>' or 'channel:<id>', got {ref!r}")
        return cls(kind, int(number))  # type: ignore[arg-type]  # kind was checked above

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(slots=True)
class UserRecord:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    phone: str | None  # digits only, as Telegram stores it
    bot: bool = False
    service: bool = False
    password: SrpVerifier | None = None
    about: str | None = None  # the bio users.getFullUser gives
    verified: bool = False
    scam: bool = False
    fake: bool = False
    premium: bool = False
    phone_private: bool = False  # hides the phone even from contacts (privacy setting)
    transcription_trials: int = 0  # free voice transcriptions left this week (non-Premium)


@dataclass(slots=True)
class GroupRecord:
    id: int
    title: str
    creator: int
    members: list[int]
    date: float
    reactions: tuple[str, ...] | None = None  # allowed emoji; None: Telegram's default set


@dataclass(slots=True)
class StoredMessage:
    """One message in one box (private chat or basic group) or in a channel."""

    id: int
    peer: PeerKey  # the chat, as the box owner sees it; a channel for channel messages
    sender: int | None  # None for broadcast channel posts
    text: str
    date: float
    out: bool = False  # box copies only; channels derive it per viewer
    reply_to: int | None = None
    media: SandboxMedia | None = None
    action: str | None = None  # service message kind: chat_create, channel_create, join, pin
    action_users: tuple[int, ...] = ()
    pinned: bool = False
    silent: bool = False
    post: bool = False
    logical: int = 0  # links the copies of one message across boxes
    media_id: int = 0
    edit_date: float | None = None
    fwd_from: int | None = None  # the original sender of a forwarded copy
    fwd_date: float | None = None
    reactions: dict[int, str] = field(default_factory=dict)  # reactor -> emoji
    topic: int | None = None  # forum topic (its top message id); None: General, or not a forum


@dataclass(slots=True)
class ChannelRecord:
    id: int
    title: str
    creator: int
    members: list[int]
    megagroup: bool
    username: str | None
    date: float
    pts: int = 1
    next_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    log: list[LogEntry] = field(default_factory=list)
    reactions: tuple[str, ...] | None = None  # allowed emoji; None: Telegram's default set
    about: str = ""
    slowmode_seconds: int = 0
    verified: bool = False
    scam: bool = False
    fake: bool = False
    linked_chat: int | None = None  # a broadcast channel's discussion supergroup (or the reverse)
    threads: dict[int, int] = field(default_factory=dict)  # post id -> its copy's id in linked_chat
    forum: bool = False
    topics: dict[int, TopicRecord] = field(default_factory=dict)  # by top message id


@dataclass(slots=True)
class TopicRecord:
    """A forum topic; its id is the id of the service message that created it."""

    id: int
    title: str
    creator: int
    date: float
    icon_color: int = 0x6FB9F0
    closed: bool = False
    pinned: bool = False


@dataclass(slots=True)
class FilterRecord:
    """A chat folder (Telegram's ``DialogFilter``): chosen chats plus chat kinds, minus exclusions."""

    id: int
    title: str
    include: list[PeerKey] = field(default_factory=list)
    exclude: list[PeerKey] = field(default_factory=list)
    pinned: list[PeerKey] = field(default_factory=list)
    contacts: bool = False
    non_contacts: bool = False
    groups: bool = False
    broadcasts: bool = False
    bots: bool = False
    exclude_muted: bool = False
    exclude_read: bool = False
    exclude_archived: bool = False
    emoticon: str | None = None


@dataclass(slots=True)
class ReadState:
    """One account's marks in one dialog."""

    read_inbox_max_id: int = 0
    read_outbox_max_id: int = 0
    mute_until: int = 0
    mentions: set[int] = field(default_factory=set)
    unread_mentions: set[int] = field(default_factory=set)
    topic_reads: dict[int, int] = field(default_factory=dict)  # forum topic -> read_inbox_max_id
    folder_id: int = 0  # 1: archived


@dataclass(slots=True)
class Box:
    next_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    by_peer: dict[PeerKey, list[int]] = field(default_factory=dict)  # ascending ids


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One pts-bearing update, kept so that getDifference can heal a lost push.

    ``make(viewer)`` renders the update (``UpdateNewMessage`` …) for one account, from the
    records as they are now; ``peers`` are the entities it mentions.
    """

    pts: int
    pts_count: int
    make: Callable[[int], Any]
    peers: tuple[PeerKey, ...]


@dataclass(slots=True)
class Account:
    user_id: int
    box: Box = field(default_factory=Box)
    pts: int = 1
    log: list[LogEntry] = field(default_factory=list)
    dialogs: dict[PeerKey, ReadState] = field(default_factory=dict)
    contacts: set[int] = field(default_factory=set)
    filters: list[FilterRecord] = field(default_factory=list)  # chat folders, in the user's order

    def read_state(self, peer: PeerKey) -> ReadState:
        return self.dialogs.setdefault(peer, ReadState())


@dataclass(slots=True)
class KeyRecord:
    """One authorization key: a device, and the account it is logged in to (if any)."""

    key_id: int
    key: bytes
    user_id: int | None = None
    pending_2fa_user: int | None = None
    srp: SrpSession | None = None
    qr_token: bytes | None = None
    device_model: str = ""
    system_version: str = ""
    app_version: str = ""
    lang_code: str = ""
    system_lang_code: str = ""
    api_id: int = 0
    layer: int = 0
    created: float = 0.0
    active: float = 0.0


@dataclass(slots=True)
class PendingCode:
    code: str
    phone_code_hash: str
    sent_at: float


@dataclass(slots=True)
class QrToken:
    token: bytes
    key_id: int
    expires: float
    accepted_by: int | None = None


@dataclass(frozen=True, slots=True)
class CallRecord:
    name: str
    user_id: int | None


class Endpoint(Protocol):
    """A connected client as the world sees it (implemented by the sandbox sender)."""

    @property
    def key_id(self) -> int | None: ...

    def push(self, updates: Any) -> None:
        """Deliver an ``Updates``-like object to the client; callable from any thread."""


@dataclass(slots=True)
class WorldState:
    """Everything the world knows. Guarded by the world's lock."""

    faults: FaultBook
    users: dict[int, UserRecord] = field(default_factory=dict)
    groups: dict[int, GroupRecord] = field(default_factory=dict)
    channels: dict[int, ChannelRecord] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    keys: dict[int, KeyRecord] = field(default_factory=dict)
    codes: dict[str, PendingCode] = field(default_factory=dict)
    qr_tokens: dict[bytes, QrToken] = field(default_factory=dict)
    copies: dict[int, dict[int, int]] = field(default_factory=dict)  # logical -> {user: box id}
    calls: list[CallRecord] = field(default_factory=list)
    unimplemented: list[str] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    next_user_id: int = 1001
    next_group_id: int = 3001
    next_channel_id: int = 2001
    next_logical: int = 1
    next_media_id: int = 5_000_000_001
    #: Saved drafts by (owner, chat, topic id or 0).
    drafts: dict[tuple[int, PeerKey, int], DraftRecord] = field(default_factory=dict)
    #: Scheduled messages by (owner, chat).
    scheduled: dict[tuple[int, PeerKey], ScheduledQueue] = field(default_factory=dict)
    #: Files being uploaded in parts, by (uploader, file id) (``handlers_upload``).
    uploads: dict[tuple[int, int], UploadRecord] = field(default_factory=dict)
    #: (sender, random_id) pairs already used by messages.sendMedia: reuse is RANDOM_ID_DUPLICATE.
    media_random_ids: set[tuple[int, int]] = field(default_factory=set)
    #: Every attachment ever posted, by media id (the Photo/Document id), for upload.getFile.
    media_files: dict[int, SandboxMedia] = field(default_factory=dict)
    #: File reference generation per media id (see sandbox.media.rotate_reference).
    file_generations: dict[int, int] = field(default_factory=dict)
    #: Transcriptions already made, (user, media id) -> transcription id.
    transcribed: dict[tuple[int, int], int] = field(default_factory=dict)

    def account(self, user_id: int) -> Account:
        return self.accounts[user_id]

    def endpoints_of(self, user_id: int) -> list[Endpoint]:
        """Connected clients whose key is logged in as ``user_id``."""
        out: list[Endpoint] = []
        for endpoint in self.endpoints:
            key = self.keys.get(endpoint.key_id or 0)
            if key is not None and key.user_id == user_id:
                out.append(endpoint)
        return out


@dataclass(slots=True)
class DraftRecord:
    """One account's saved draft in one chat (or one forum topic of it)."""

    text: str
    date: float
    reply_to: int | None = None


@dataclass(slots=True)
class ScheduledQueue:
    """One account's scheduled messages in one chat; ids are this queue's own sequence."""

    next_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)


@dataclass(slots=True)
class UploadRecord:
    """One file being uploaded in parts; ``total_parts`` is declared by every big-file part."""

    big: bool
    total_parts: int | None = None
    parts: dict[int, bytes] = field(default_factory=dict)
