"""``/telegram/message/<peer>/<id>``: where ``fetch`` points for a message with no public link.

ChatGPT cites every ``search`` and ``fetch`` result by its URL. A message in a public chat
has its own ``t.me/<username>/<id>`` link; every other message gets this address, which
is stable (it is made of the chat and message ids alone) and shows nothing to anyone who
is not signed in to this server: they are sent to sign in first. Signed in, the page only
offers to open the message in the person's own Telegram app (``t.me/c/...`` for channels
and supergroups, a ``tg://`` link otherwise). It asks Telegram nothing and shows no text:
everything on it was already in its URL.
"""

from __future__ import annotations

import re
from typing import Final

from quart import Blueprint, Response, request

from mctltg.web.context import WebDeps, page, signed_in, signin_redirect
from mctltg.web.pages import here, site_facts

__all__ = ["MESSAGE_PATH", "message_link_blueprint", "telegram_link"]

#: The prefix ``tools/search_fetch.py`` builds these URLs with (the same literal, tested end to end).
MESSAGE_PATH: Final = "/telegram/message"
_PEER: Final = re.compile(r"(user|chat|channel):([1-9][0-9]{0,18})")


def telegram_link(peer: str, message_id: int) -> str | None:
    """The link that opens ``message_id`` of ``peer`` in a Telegram app, or None for a malformed peer."""
    match = _PEER.fullmatch(peer)
    if match is None:
        return None
    kind, number = match.groups()
    if kind == "channel":
        return f"https://t.me/c/{number}/{message_id}"
    key = "user_id" if kind == "user" else "chat_id"
    return f"tg://openmessage?{key}={number}&message_id={message_id}"


def message_link_blueprint(deps: WebDeps) -> Blueprint:
    blueprint = Blueprint("message_link", __name__)
    facts = site_facts(deps.settings)

    @blueprint.get(MESSAGE_PATH + "/<peer>/<int:message_id>")
    async def open_message(peer: str, message_id: int) -> Response:
        if await signed_in(deps) is None:
            return signin_redirect(request.path)
        link = telegram_link(peer, message_id)
        if link is None or message_id < 1:
            return await page(
                "message.html",
                status=404,
                site=here(facts),
                title="No such message address",
                message="This address names no Telegram message; use the link your assistant cited.",
            )
        return await page("message_link.html", site=here(facts), peer=peer, message_id=message_id, link=link)

    return blueprint
