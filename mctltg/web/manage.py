"""``/telegram/connect/manage``: a person's own connections, in their own hands.

It lists every Telegram account the person connected (label, Telegram name, status,
which is the default; the device name Telegram lists under Active sessions, when it was
last used), each with its own send switch (the account's ``send_enabled``, the fourth
condition of the send gate), "make default", and the two ways out: disconnect (the
session ends at Telegram and is erased here; the row stays so they can reconnect) and
delete (a confirmation page first; the row and everything keyed by it go). Then the
person's newest audit rows. Disconnect and delete run ``accounts/manage.py``, the same
code as the ``disconnect_telegram_account`` and ``delete_telegram_account`` tools.

Every change is a POST carrying the session's CSRF token and the account's id (none:
the default account), answered with a redirect back here (post/redirect/get) and a
fixed sentence chosen by a code in the query string, so nothing a request sends is
ever echoed; an id that is not one of the person's own accounts changes nothing. Changes
made here leave audit rows naming the account (``web:send_on``, ``web:send_off``,
``web:default``, ``web:disconnect``, ``web:delete``).
"""

from __future__ import annotations

import logging
from typing import Final

from quart import Blueprint, Response, request

from mctltg.accounts import delete_account, disconnect_account
from mctltg.errors import BROKEN_SESSION, UnknownAccount
from mctltg.storage import AccountRow
from mctltg.web.context import (
    MANAGE_PATH,
    WebDeps,
    end_browser_sessions,
    page,
    redirect,
    signed_in,
    signin_redirect,
)
from mctltg.web.manage_clients import CLIENT_NOTICES, client_context, install_client_routes
from mctltg.web.pages import here, site_facts
from mctltg.web.session_cookie import WebSession

__all__ = ["manage_blueprint"]

logger = logging.getLogger(__name__)

AUDIT_ROWS: Final = 20
NOTICES: Final = {
    "send_on": "Real sends are on: your MCP clients may send messages as you, within the send gate.",
    "send_off": "Real sends are off: send_message only returns drafts now.",
    "disconnected": "Disconnected: the session ended at Telegram and was erased from this server.",
    "deleted": "Deleted: your Telegram account and its sealed session are gone from this server.",
    "nothing": "There was no Telegram account to change.",
    "default": "Default changed: tools called without an account use it now.",
    "expired": "That form expired; nothing changed. Try again.",
}


def manage_blueprint(deps: WebDeps) -> Blueprint:
    blueprint = Blueprint("manage", __name__)
    facts = site_facts(deps.settings)

    async def checked() -> tuple[WebSession | None, bool]:
        session = await signed_in(deps)
        if session is None:
            return None, False
        form = await request.form
        return session, session.csrf_ok(form.get("csrf"))

    def done(code: str) -> Response:
        return redirect(f"{MANAGE_PATH}?done={code}")

    async def chosen(session: WebSession, field: str | None) -> AccountRow | None:
        """The person's account the form names by id (the default when absent); None if not theirs."""
        try:
            return await deps.directory.find(session.identity_id, field or None)
        except UnknownAccount:
            return None

    async def form_account(session: WebSession) -> AccountRow | None:
        return await chosen(session, (await request.form).get("account"))

    @blueprint.get(MANAGE_PATH)
    async def show() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(MANAGE_PATH)
        identity = await deps.identities.get(session.identity_id)
        rows = await deps.accounts.list_for_identity(session.identity_id)
        audit = await deps.audit.page(session.identity_id, limit=AUDIT_ROWS)
        return await page(
            "manage.html",
            site=here(facts),
            session=session,
            csrf=session.csrf,
            identity=identity,
            accounts=rows,
            labels={row.id: row.label for row in rows},
            can_add=len(rows) < deps.settings.max_accounts_per_identity,
            broken_session=BROKEN_SESSION,
            audit=audit,
            notice={**NOTICES, **CLIENT_NOTICES}.get(request.args.get("done", "")),
            nav="manage",
            **await client_context(deps.client_access, session.identity_id),
        )

    @blueprint.post(MANAGE_PATH + "/send")
    async def send() -> Response:
        session, fresh = await checked()
        if session is None:
            return signin_redirect(MANAGE_PATH)
        if not fresh:
            return done("expired")
        row = await form_account(session)
        if row is None or row.status == "revoked":
            return done("nothing")
        enabled = (await request.form).get("enabled") == "on"
        await deps.accounts.set_send_enabled(row.id, enabled)
        deps.directory.forget_account(row.id)
        await deps.audit.append(
            identity_id=session.identity_id,
            tool="web:send_on" if enabled else "web:send_off",
            outcome="ok",
            account_id=row.id,
        )
        return done("send_on" if enabled else "send_off")

    @blueprint.post(MANAGE_PATH + "/default")
    async def make_default() -> Response:
        session, fresh = await checked()
        if session is None:
            return signin_redirect(MANAGE_PATH)
        if not fresh:
            return done("expired")
        row = await form_account(session)
        if row is None or row.status != "active":
            return done("nothing")
        await deps.directory.set_default(session.identity_id, row.id)
        await deps.audit.append(
            identity_id=session.identity_id, tool="web:default", outcome="ok", account_id=row.id
        )
        return done("default")

    @blueprint.post(MANAGE_PATH + "/disconnect")
    async def disconnect() -> Response:
        session, fresh = await checked()
        if session is None:
            return signin_redirect(MANAGE_PATH)
        if not fresh:
            return done("expired")
        row = await form_account(session)
        if row is None:
            return done("nothing")
        outcome = await disconnect_account(deps.directory, session.identity_id, row.id)
        if not outcome.disconnected:
            return done("nothing")
        await deps.audit.append(
            identity_id=session.identity_id, tool="web:disconnect", outcome="ok", account_id=row.id
        )
        await end_browser_sessions(deps, session.identity_id)
        return deps.sessions.store(done("disconnected"), _fresh_wizard(deps, session))

    @blueprint.get(MANAGE_PATH + "/delete")
    async def confirm_delete() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(MANAGE_PATH)
        row = await chosen(session, request.args.get("account"))
        if row is None:
            return done("nothing")
        return await page(
            "manage_delete.html", site=here(facts), csrf=session.csrf, account=row, nav="manage"
        )

    @blueprint.post(MANAGE_PATH + "/delete")
    async def delete() -> Response:
        session, fresh = await checked()
        if session is None:
            return signin_redirect(MANAGE_PATH)
        if not fresh or (await request.form).get("confirm") != "delete":
            return done("expired")
        row = await form_account(session)
        if row is None:
            return done("nothing")
        outcome = await delete_account(deps.directory, session.identity_id, row.id)
        if not outcome.deleted:
            return done("nothing")
        await deps.audit.append(
            identity_id=session.identity_id, tool="web:delete", outcome="ok", account_id=row.id
        )
        await end_browser_sessions(deps, session.identity_id)
        return deps.sessions.store(done("deleted"), _fresh_wizard(deps, session))

    install_client_routes(blueprint, deps)  # the "who can act as you" section's revoke buttons
    return blueprint


def _fresh_wizard(deps: WebDeps, session: WebSession) -> WebSession:
    """After a disconnect or delete, connecting again starts from the permissions step.

    Every other browser of the identity was just signed out; this one continues with a
    session issued after that moment.
    """
    return deps.sessions.renew(session).replace(login_id=None, send=None, applied=None)
