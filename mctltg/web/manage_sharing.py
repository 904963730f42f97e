"""``/telegram/connect/manage/sharing``: the person chooses which chats assistants see.

The page lists the account's dialogs (searchable by title or @username, server-side so it
works without JavaScript) with a checkbox each, the person's chat folders, and the choice
between sharing everything (minus excluded chats) and only the chosen chats and folders.
It reads the dialogs through ``AccountDirectory.person_s_own_view``, which ignores the
rule: the person must see what they are choosing from. Saving is the one place a rule may
widen (``accounts/sharing.py``); an assistant's ``set_shared_chats`` only narrows.

Like the manage page: a POST with the session's CSRF token, post/redirect/get, a fixed
sentence by code, and an audit row (``web:sharing``). Chats chosen earlier but hidden by
the current search ride along as hidden fields, so a search never drops them.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import quote

from quart import Blueprint, Response, request

from mctltg.accounts import SharingRule
from mctltg.errors import AccountError, InvalidInput, TelegramError
from mctltg.web.context import MANAGE_PATH, WebDeps, page, redirect, signed_in, signin_redirect
from mctltg.web.pages import here, site_facts

__all__ = ["SHARING_PATH", "sharing_blueprint"]

logger = logging.getLogger(__name__)

SHARING_PATH: Final = MANAGE_PATH + "/sharing"
#: Dialogs the page lists (a search narrows them).
DIALOGS_SHOWN: Final = 200
NOTICES: Final = {
    "saved": "Saved: assistants now see only what this rule shares.",
    "invalid": "That choice could not be saved; nothing changed. Pick chats and folders from the lists.",
    "nothing": "There is no connected Telegram account to choose chats for.",
    "expired": "That form expired; nothing changed. Try again.",
    "unavailable": "Telegram did not answer; the lists could not be loaded. Try again shortly.",
}


def sharing_blueprint(deps: WebDeps) -> Blueprint:
    blueprint = Blueprint("manage_sharing", __name__)
    facts = site_facts(deps.settings)

    def done(code: str, account: str | None) -> Response:
        chosen = f"&account={quote(account)}" if account else ""
        return redirect(f"{SHARING_PATH}?done={code}{chosen}")

    @blueprint.get(SHARING_PATH)
    async def show() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(SHARING_PATH)
        query = (request.args.get("q") or "").strip()[:64]
        chosen = (request.args.get("account") or "").strip()[:40] or None
        try:
            row = await deps.directory.account_of(session.identity_id, chosen)
            account = await deps.directory.person_s_own_view(session.identity_id, row.id)
            rule = await deps.directory.sharing_of(session.identity_id, row.id)
            dialogs = await account.dialogs(DIALOGS_SHOWN, query=query or None)
            folders = await account.folders()
        except (AccountError, InvalidInput):  # none connected, or not one of this person's
            return redirect(f"{MANAGE_PATH}?done=nothing")
        except TelegramError:
            logger.warning("sharing page: Telegram did not answer", exc_info=True)
            dialogs, folders, rule = [], [], await deps.directory.sharing_of(session.identity_id, row.id)
            code = "unavailable"
        else:
            code = request.args.get("done", "")
        shown = {d.peer for d in dialogs}
        return await page(
            "manage_sharing.html",
            site=here(facts),
            csrf=session.csrf,
            account=row,
            rule=rule,
            summary=rule.describe(),
            dialogs=dialogs,
            folders=folders,
            query=query,
            hidden_chats=sorted(rule.chats - shown),
            hidden_excluded=sorted(rule.excluded - shown),
            notice=NOTICES.get(code),
            nav="manage",
        )

    @blueprint.post(SHARING_PATH)
    async def save() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(SHARING_PATH)
        form = await request.form
        chosen = (form.get("account") or "").strip()[:40] or None
        if not session.csrf_ok(form.get("csrf")):
            return done("expired", chosen)
        try:
            folders = [int(f) for f in form.getlist("folder") if f.isdigit()]
            excluded = form.getlist("exclude")
            if form.get("mode") == "everything":
                rule = SharingRule.all_but(excluded)
            else:
                rule = SharingRule.only(form.getlist("chat"), folders, excluded)
            row = await deps.directory.account_of(session.identity_id, chosen)
            await deps.directory.set_sharing(session.identity_id, rule, may_widen=True, account=row.id)
        except InvalidInput:
            return done("invalid", chosen)
        except AccountError:
            return done("nothing", chosen)
        await deps.audit.append(
            identity_id=session.identity_id, tool="web:sharing", outcome="ok", account_id=row.id
        )
        return done("saved", chosen)

    return blueprint
