"""The people-facing part of the web app, assembled: public pages, sign-in, wizard, manage.

The composition root builds :class:`~mctltg.web.context.WebDeps`, then a
:class:`~mctltg.web.signin.WebSignIn` (whose ``finish`` the OAuth callback consults
for web sign-ins), then the authorization server, and finally calls
:func:`site_blueprints` with all three.
"""

from __future__ import annotations

from quart import Blueprint

from mctltg.oauth import AuthorizationServer
from mctltg.web.connect import connect_blueprint
from mctltg.web.context import WebDeps
from mctltg.web.manage import manage_blueprint
from mctltg.web.manage_sharing import sharing_blueprint
from mctltg.web.message_link import message_link_blueprint
from mctltg.web.pages import pages_blueprint
from mctltg.web.sandbox_aid import sandbox_blueprint
from mctltg.web.signin import WebSignIn, signin_blueprint

__all__ = ["site_blueprints"]


def site_blueprints(
    deps: WebDeps, signin: WebSignIn, *, oauth: AuthorizationServer | None
) -> list[Blueprint]:
    blueprints = [
        pages_blueprint(deps),
        signin_blueprint(deps, signin, oauth=oauth),
        connect_blueprint(deps),
        manage_blueprint(deps),
        message_link_blueprint(deps),
        sharing_blueprint(deps),
    ]
    if deps.sandbox_aid is not None:  # without the sandbox its routes do not exist
        blueprints.append(sandbox_blueprint(deps, deps.sandbox_aid))
    return blueprints
