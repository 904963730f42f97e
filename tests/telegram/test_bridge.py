"""The Trio ↔ asyncio bridge: results, errors and cancellation cross intact."""

from __future__ import annotations

import asyncio

import pytest
import trio

from mctltg.telegram.bridge import open_asyncio_bridge


async def test_a_coroutine_result_comes_back_to_trio() -> None:
    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    async with open_asyncio_bridge() as bridge:
        with trio.fail_after(5):
            assert await bridge.call(add, 2, 3) == 5


async def test_an_exception_crosses_unchanged() -> None:
    async def boom() -> None:
        raise ValueError("nope")

    async with open_asyncio_bridge() as bridge:
        with trio.fail_after(5), pytest.raises(ValueError, match="nope"):
            await bridge.call(boom)


async def test_a_plain_future_is_awaited_too() -> None:
    async with open_asyncio_bridge() as bridge:

        def make_future() -> asyncio.Future[str]:
            future: asyncio.Future[str] = bridge.loop.create_future()
            future.set_result("done")
            return future

        async def wrapper() -> str:
            return await make_future()

        with trio.fail_after(5):
            assert await bridge.call(wrapper) == "done"


async def test_cancelling_the_trio_caller_cancels_and_cleans_up_the_asyncio_task() -> None:
    cleaned: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.append("cleanup ran")

    async with open_asyncio_bridge() as bridge:
        with trio.fail_after(5):
            with trio.move_on_after(0.05):
                await bridge.call(slow)
        assert cleaned == ["cleanup ran"]
        assert bridge.statistics().calls_in_flight == 0


async def test_the_loop_thread_stops_when_the_bridge_closes() -> None:
    async with open_asyncio_bridge() as bridge:
        loop = bridge.loop
    assert loop.is_closed()
