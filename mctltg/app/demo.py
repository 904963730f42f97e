"""Demo provisioning: a logged-in sandbox account without a login flow (``mctltg demo``, tests)."""

from __future__ import annotations

from mctltg.accounts import OPERATOR_SUBJECT
from mctltg.app.services import Services
from mctltg.errors import SessionDead
from mctltg.storage import DEFAULT_LABEL
from mctltg.telegram import EVERYTHING, SealedSession

__all__ = ["provision_sandbox_account"]


async def provision_sandbox_account(
    services: Services,
    *,
    telegram_user_id: int,
    subject: str = OPERATOR_SUBJECT,
    send_enabled: bool = False,
    label: str = DEFAULT_LABEL,
) -> int:
    """Give ``subject`` a logged-in sandbox account for ``telegram_user_id``; returns its id.

    Used by ``mctltg demo`` and tests: the world mints an authorized auth key, which is
    sealed into the account row exactly as a real login would leave it.
    """
    assert services.world is not None, "only a sandbox server can provision sandbox accounts"
    key = services.world.authorize_new_key(telegram_user_id)
    from mctltg.sandbox import SANDBOX_DC_ID

    session = SealedSession.with_auth_key(key, dc_id=SANDBOX_DC_ID, address="127.0.0.1", port=443)
    identity = await services.identities.ensure(subject, display_name=subject)
    row = await services.accounts.create(
        identity.id, device_name=services.settings.device_name, sandbox=True, label=label
    )
    await services.accounts.save_session(row.id, session.to_bytes())
    await services.pool.start(row.id)
    profile = await services.pool.account(row.id, sharing=EVERYTHING).profile()
    if profile is None:
        raise SessionDead("AUTH_KEY_UNREGISTERED")
    await services.accounts.activate(
        row.id, telegram_user_id=profile.user_id, username=profile.username, display_name=profile.display_name
    )
    if send_enabled:
        await services.accounts.set_send_enabled(row.id, True)
    return row.id
