"""Pages and endpoints people and probes reach (Quart-Trio)."""

from __future__ import annotations

from quart_trio import QuartTrio

from mctltg.web.probes import Readiness, probes_blueprint

__all__ = ["Readiness", "create_web_app"]


def create_web_app(*, readiness: Readiness) -> QuartTrio:
    app = QuartTrio(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.register_blueprint(probes_blueprint(readiness))
    return app
