"""``SandboxWorld.connections``: how many clients hold a logged-in key right now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld


def test_connections_count_connected_logged_in_clients_only(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = world.authorize_new_key(ada)

    async def scenario() -> list[int]:
        seen = [world.connections(ada)]
        async with open_client(world, key=key):
            seen.append(world.connections(ada))
            async with open_client(world, key=key), open_client(world):
                seen.append(world.connections(ada))  # the second is logged out: not Ada's
        seen.append(world.connections(ada))
        return seen

    assert run(scenario) == [0, 1, 2, 0]
