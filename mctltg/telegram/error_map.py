"""Translate Telethon's errors into ``mctltg.errors`` at the boundary.

No Telethon exception type escapes ``telegram/``. The table is ordered most
specific first; ``tests/telegram/test_error_map.py`` fails when an RPC error we
document as user-actionable is missing here. Messages are plain sentences plus
what to do; unknown RPC errors keep Telegram's own code so nothing is hidden.
"""

from __future__ import annotations

from typing import Final

from telethon import errors as tl_errors
from telethon.errors import rpcerrorlist

from mctltg.errors import (
    FloodWait,
    MctltgError,
    PeerInvalid,
    SessionDead,
    TelegramRpcError,
    TelegramUnavailable,
)

__all__ = ["ACTIONABLE", "DEAD_SESSION_ERRORS", "translate"]

#: Errors that mean the auth key is gone for good: the account must reconnect.
DEAD_SESSION_ERRORS: Final[tuple[type[BaseException], ...]] = (
    tl_errors.AuthKeyUnregisteredError,
    tl_errors.AuthKeyDuplicatedError,
    tl_errors.AuthKeyInvalidError,
    tl_errors.AuthKeyPermEmptyError,
    tl_errors.SessionRevokedError,
    tl_errors.SessionExpiredError,
    tl_errors.UserDeactivatedError,
    tl_errors.UserDeactivatedBanError,
    # Their kin: every 401 means this auth key cannot act (SESSION_PASSWORD_NEEDED on a
    # stored session is a login abandoned at the 2FA step), and any new 401 Telegram adds.
    tl_errors.UnauthorizedError,
)

_PEER_ERRORS: Final[tuple[type[BaseException], ...]] = (
    tl_errors.PeerIdInvalidError,
    tl_errors.ChannelInvalidError,
    tl_errors.ChatIdInvalidError,
    tl_errors.UserIdInvalidError,
)

#: Telegram codes a user can act on → one plain sentence saying what to do.
ACTIONABLE: Final[dict[str, str]] = {
    "CHANNEL_PRIVATE": (
        "This channel is private or you were removed from it; pick another chat from list_dialogs."
    ),
    "CHAT_WRITE_FORBIDDEN": "You cannot write in this chat (Telegram says CHAT_WRITE_FORBIDDEN).",
    "CHAT_ADMIN_REQUIRED": "Only an admin of this chat can do that (Telegram says CHAT_ADMIN_REQUIRED).",
    "USER_IS_BLOCKED": "This user has blocked you, so the message cannot be delivered.",
    "INPUT_USER_DEACTIVATED": "This user deleted their Telegram account.",
    "USER_BANNED_IN_CHANNEL": "You are banned from sending messages in this chat.",
    "CHAT_RESTRICTED": "This chat is restricted; Telegram refuses the action here.",
    "CHAT_FORBIDDEN": "You no longer have access to this chat.",
    "MESSAGE_TOO_LONG": "The message is longer than Telegram allows (4096 characters); shorten it.",
    "MESSAGE_EMPTY": "The message is empty; give some text.",
    "MSG_ID_INVALID": "There is no message with that id in this chat; take ids from get_messages.",
    "MESSAGE_ID_INVALID": "There is no message with that id in this chat; take ids from get_messages.",
    "USERNAME_NOT_OCCUPIED": "No Telegram user or channel has that username.",
    "USERNAME_INVALID": "That is not a valid Telegram username.",
    "SEARCH_QUERY_EMPTY": "The search query is empty; give some words to search for.",
    "TOPIC_CLOSED": "This forum topic is closed; only its admins can write there, so pick another topic.",
    "TOPIC_ID_INVALID": "This forum has no topic with that id; take topic ids from list_topics.",
    "TOPIC_DELETED": "This forum topic was deleted; take topic ids from list_topics.",
    "CHANNEL_FORUM_MISSING": "This chat is not a forum, so it has no topics; leave out topic_id.",
    "FILTER_ID_INVALID": "There is no chat folder with that id; take folder ids from list_folders.",
    "PEER_FLOOD": (
        "Telegram limits this account for sending too many messages to strangers; wait before retrying."
    ),
    "MESSAGE_AUTHOR_REQUIRED": "You can only edit messages you sent yourself; this one is someone else's.",
    "MESSAGE_NOT_MODIFIED": "The new text is the same as the message's current text; nothing to edit.",
    "MESSAGE_EDIT_TIME_EXPIRED": "This message is too old for Telegram to allow editing it.",
    "MESSAGE_DELETE_FORBIDDEN": (
        "You cannot delete someone else's messages here; only the chat's admins can (for everyone)."
    ),
    "MESSAGE_IDS_EMPTY": (
        "None of these message ids exist in that chat; take ids from get_messages or get_scheduled_messages."
    ),
    "REACTION_INVALID": "This chat does not allow that reaction; try another emoji such as 👍.",
    "REACTIONS_TOO_MANY": "Only one reaction per message can be set here.",
    "CHAT_FORWARDS_RESTRICTED": "This chat does not allow forwarding its messages.",
    "SCHEDULE_DATE_INVALID": "Telegram refused that schedule time; give a time in the future, within a year.",
    "SCHEDULE_DATE_TOO_LATE": "Telegram refuses to schedule more than 365 days ahead; give an earlier time.",
    "SCHEDULE_TOO_MUCH": (
        "This chat already has as many scheduled messages as Telegram allows (100); delete some first."
    ),
}


def translate(exc: BaseException, *, operation: str, peer: str | None = None) -> MctltgError | None:
    """Our error for a Telethon (or connection) error, or None if it is not one of those.

    Args:
        exc: what Telethon raised.
        operation: a short name of what was attempted (``list_dialogs``), used in messages.
        peer: the peer as the caller named it, for ``PeerInvalid``.
    """
    if isinstance(exc, DEAD_SESSION_ERRORS):
        return SessionDead(_code(exc))
    if isinstance(exc, tl_errors.FloodError) and hasattr(exc, "seconds"):
        return FloodWait(int(exc.seconds), operation=operation)
    if isinstance(exc, _PEER_ERRORS):
        return PeerInvalid(peer or "given")
    if isinstance(exc, tl_errors.RPCError):
        code = _code(exc)
        return TelegramRpcError(code, ACTIONABLE.get(code))
    if isinstance(exc, ConnectionError):
        return TelegramUnavailable(operation)
    if isinstance(exc, ValueError) and "Could not find the input entity" in str(exc):
        return PeerInvalid(peer or "given")
    return None


def _code(exc: BaseException) -> str:
    """Telegram's own name for the error (``CHANNEL_PRIVATE``), also for Telethon's known classes.

    A known class keeps only a generic ``message`` (``BAD_REQUEST``), so its name comes from
    Telethon's table; errors with a number in them keep the pattern (``FLOOD_WAIT_X``).
    """
    known = _KNOWN_CODES.get(type(exc))
    if known is not None:
        return known
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message.split(" ")[0]
    return type(exc).__name__


_KNOWN_CODES: Final[dict[type[BaseException], str]] = {
    **{cls: pattern.replace("_(\\d+)", "_X") for pattern, cls in rpcerrorlist.rpc_errors_re},
    **{cls: name for name, cls in rpcerrorlist.rpc_errors_dict.items()},
}
