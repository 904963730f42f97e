"""Plain values the Telegram layer hands upward; no Telethon type ever leaves ``telegram/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AccountProfile",
    "ActionResult",
    "ChatFolder",
    "Dialog",
    "DialogKind",
    "DialogPage",
    "ForumTopic",
    "MediaContent",
    "MediaForm",
    "MediaInfo",
    "MediaLimits",
    "MediaMode",
    "MediaUpload",
    "Message",
    "MessageContext",
    "MessagePage",
    "PeerInfo",
    "PeerKind",
    "PeerMatch",
    "PeerRef",
    "PinResult",
    "PollOption",
    "ReplyThread",
    "SavedDraft",
    "SentMessage",
    "TopicList",
    "UnreadChat",
    "UnreadDigest",
    "UploadKind",
]

PeerKind = Literal["user", "chat", "channel", "username", "self"]
DialogKind = Literal["user", "bot", "group", "supergroup", "channel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerRef:
    """A peer as a caller named it: ``user:1``, ``chat:2``, ``channel:3``, ``@name`` or ``me``."""

    kind: PeerKind
    id: int | None = None
    username: str | None = None

    def __str__(self) -> str:
        if self.kind == "self":
            return "me"
        if self.kind == "username":
            return f"@{self.username}"
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialog:
    """One conversation in the account's dialog list."""

    peer: str
    kind: DialogKind
    title: str
    username: str | None
    unread_count: int
    unread_mentions_count: int
    muted: bool
    pinned: bool
    last_message_date: float | None
    last_message_id: int
    read_inbox_max_id: int
    forum: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountProfile:
    """Who the connected Telegram account is (no phone number: we never keep it)."""

    user_id: int
    username: str | None
    display_name: str
    premium: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInfo:
    """What is attached to a message (metadata only, never bytes)."""

    type: str
    mime_type: str | None = None
    file_name: str | None = None
    size: int | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    # appended for issue 15: what the other kinds carry (all optional, None when absent)
    title: str | None = None  # an audio track's, or a link preview's
    performer: str | None = None
    emoji: str | None = None  # a sticker's
    url: str | None = None  # a link preview's page
    site_name: str | None = None
    description: str | None = None
    question: str | None = None  # a poll's
    options: tuple[PollOption, ...] = ()
    voters: int | None = None
    closed: bool = False
    latitude: float | None = None  # a location's
    longitude: float | None = None
    phone: str | None = None  # a shared contact's
    contact_name: str | None = None
    contact_user_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One message as the account sees it; text and names are raw (tools sanitize them).

    ``sender`` is a peer form a tool accepts (``@username``, ``user:<id>`` or
    ``channel:<id>``); ``service`` messages (joins, pins …) are kept here because they
    move history cursors, and left out of tool results.
    """

    id: int
    peer: str
    peer_title: str
    sender: str | None
    sender_name: str | None
    date: float
    text: str
    reply_to: int | None = None
    out: bool = False
    mentioned: bool = False
    service: bool = False
    official: bool = False  # from Telegram's own service account (login codes live here)
    media: MediaInfo | None = None
    link: str | None = None
    topic_id: int | None = None  # forum topic (1: General); None outside forums
    topic_title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagePage:
    """One page of a history walk; ``next_before_id`` is None only at the end of history."""

    messages: tuple[Message, ...]
    next_before_id: int | None
    peer: str
    peer_title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UnreadChat:
    """A dialog with unread messages, and how many of them a digest returned."""

    peer: str
    title: str
    unread_count: int
    returned: int
    muted: bool
    mentioned: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class UnreadDigest:
    """Unread incoming messages in priority order, with the dialogs they came from."""

    messages: tuple[Message, ...]
    chats: tuple[UnreadChat, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SentMessage:
    """What Telegram answered to a send."""

    message_id: int
    date: float
    peer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PinResult:
    peer: str
    message_id: int
    unpinned: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionResult:
    """What Telegram answered to an action on existing messages (edit, delete, forward, react, pin).

    Attributes:
        peer: the chat acted in (for a forward, the chat forwarded to), canonical.
        message_ids: the messages that resulted (the edited or reacted one, the new
            forwarded copies), or for a delete the ids Telegram deleted.
    """

    peer: str
    message_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerInfo:
    """What Telegram's "full" info says about one user, group or channel, as this account sees it.

    ``admin_rights`` names the rights this account holds there (Telegram's flag names);
    ``linked_chat`` is a channel's discussion group, or a discussion group's channel.
    """

    peer: str
    kind: DialogKind
    title: str
    username: str | None = None
    about: str | None = None
    members: int | None = None
    verified: bool = False
    scam: bool = False
    fake: bool = False
    contact: bool = False
    can_write: bool = False
    slow_mode_seconds: int | None = None
    creator: bool = False
    admin_rights: tuple[str, ...] = ()
    linked_chat: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerMatch:
    """One ``contacts.search`` hit; ``phone`` only when a contact shares it with this account."""

    peer: str
    kind: DialogKind
    title: str
    username: str | None = None
    yours: bool = False  # a contact or a chat you are in, rather than a public username
    contact: bool = False
    phone: str | None = None
    scam: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageContext:
    """Messages around one message, oldest first; the target is among them."""

    messages: tuple[Message, ...]
    target: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyThread:
    """A thread's replies (a channel post's comments live in its discussion group), newest first."""

    messages: tuple[Message, ...]
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedDraft:
    """One chat's Telegram draft, as every Telegram app of the account shows it (raw text)."""

    peer: str
    peer_title: str
    text: str
    date: float | None
    reply_to: int | None = None
    topic_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ForumTopic:
    """One topic of a forum supergroup, with the account's unread counts there."""

    id: int
    title: str
    unread_count: int
    unread_mentions_count: int
    top_message: int
    read_inbox_max_id: int
    last_message_date: float | None
    closed: bool
    pinned: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicList:
    """A forum's topics, pinned first then by latest activity."""

    peer: str
    title: str
    topics: tuple[ForumTopic, ...]
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatFolder:
    """One of the person's chat folders (Telegram's dialog filters)."""

    id: int
    title: str
    emoticon: str | None
    include: tuple[str, ...]  # chats added by hand (canonical peer ids)
    exclude: tuple[str, ...]
    kinds: tuple[str, ...]  # contacts, non_contacts, groups, channels, bots
    exclude_muted: bool
    exclude_read: bool
    exclude_archived: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DialogPage:
    """A page of the dialog list; ``next_cursor`` is None only at the end."""

    dialogs: tuple[Dialog, ...]
    next_cursor: str | None


#: What ``send_media`` can send (``animation``: a GIF or silent MP4 shown looping).
UploadKind = Literal["photo", "document", "video", "audio", "voice", "animation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaUpload:
    """A file to upload and send, already checked: its bytes fit its ``kind`` and the caps.

    ``caption`` is sent exactly as given (no Markdown parsing), at most 1024 characters.
    """

    kind: UploadKind
    data: bytes = field(repr=False)
    mime_type: str
    file_name: str
    caption: str = ""
    width: int | None = None
    height: int | None = None

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("an upload needs at least one byte")


@dataclass(frozen=True, slots=True, kw_only=True)
class PollOption:
    """One answer of a poll and its votes (None while Telegram hides the results)."""

    text: str
    votes: int | None = None


MediaMode = Literal["auto", "thumbnail", "transcript"]
"""What ``get_media`` wants: the attachment itself, its thumbnail image, or its transcript."""

MediaForm = Literal["image", "text", "transcript", "link", "none"]
"""How an attachment came back: image bytes, text bytes, a transcript, only a link's worth
(nothing downloaded: too large or not readable inline), or nothing to fetch (no file)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLimits:
    """What ``fetch_media`` may download: the image side wanted, and byte caps per form."""

    image_side: int  # the smallest photo size whose long side reaches this is chosen
    image_max_bytes: int  # never download an image larger than this
    text_max_bytes: int  # text-like documents larger than this come back as a link
    transcript_wait: float  # seconds to wait for a pending transcription


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaContent:
    """One message's attachment, fetched as far as ``MediaMode`` and ``MediaLimits`` allow.

    ``info`` is None only when the message has no attachment (``form`` is then ``none``).
    """

    info: MediaInfo | None
    form: MediaForm
    data: bytes = b""
    mime_type: str | None = None  # of ``data``
    transcript: str | None = None
    pending: bool = False  # the transcription is still being made
    trial_remains: int | None = None  # free transcriptions left (accounts without Premium)
