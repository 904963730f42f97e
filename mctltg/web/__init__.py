"""Pages and endpoints people and probes reach (Quart-Trio)."""

from __future__ import annotations

from collections.abc import Sequence

from quart import Blueprint
from quart_trio import QuartTrio

from mctltg.oauth.oidc import plain_name
from mctltg.web.headers import apply_security_headers
from mctltg.web.probes import Readiness, probes_blueprint

__all__ = ["Readiness", "create_web_app"]


def create_web_app(*, readiness: Readiness, blueprints: Sequence[Blueprint] = ()) -> QuartTrio:
    """The Quart-Trio app: probes plus ``blueprints`` (the OAuth endpoints when OAuth is on)."""
    app = QuartTrio(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.after_request(apply_security_headers)
    # Names that came from a sign-in are shown through this filter on every page.
    app.jinja_env.filters["plain"] = plain_name
    app.register_blueprint(probes_blueprint(readiness))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app
