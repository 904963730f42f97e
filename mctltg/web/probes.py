"""``/healthz`` (the process lives) and ``/readyz`` (the database answers and the
account supervisor runs), for load balancers and systemd watchdogs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart import Blueprint, Response

__all__ = ["Readiness", "probes_blueprint"]

#: Returns None when ready, else one sentence saying what is not.
Readiness = Callable[[], Awaitable[str | None]]


def probes_blueprint(readiness: Readiness) -> Blueprint:
    blueprint = Blueprint("probes", __name__)

    @blueprint.get("/healthz")
    async def healthz() -> Response:
        return Response(
            "ok\n", content_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"}
        )

    @blueprint.get("/readyz")
    async def readyz() -> Response:
        problem = await readiness()
        if problem is None:
            return Response(
                "ready\n", content_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"}
            )
        return Response(
            f"not ready: {problem}\n",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )

    return blueprint
