"""``mctltg demo`` with a CPU meter on the sandbox Telegram, for the cost decomposition.

Run as a script (``python benchmarks/metered_demo.py``) so it can serve whichever
``mctltg`` is first on ``PYTHONPATH`` (this branch, or main's for the baseline).
The sandbox answers each request synchronously on the Telethon thread inside
``SandboxSender._start`` (copy the request through the TL wire format, look up the
handler, build the answer, copy it back); that call is wrapped to add up the thread's
CPU time, which is the fake Telegram's cost and not the product's. On SIGUSR1 the
totals are written as JSON to the file named by ``MCTLTG_BENCH_METER``.

``MCTLTG_BENCH_ROUND_TRIP=0`` serves the sandbox without its TL copy of each request
and answer (``SandboxWorld(round_trip=False)``): the bench's second configuration,
which shows what the fake Telegram's own cost does to the latency and throughput
figures. Tests always keep the copy on.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from mctltg.cli import main
from mctltg.sandbox.sender import SandboxSender
from mctltg.sandbox.switchboard import Switchboard

_lock = threading.Lock()
_totals = {"sandbox_cpu": 0.0, "requests": 0}
_answer = SandboxSender._start


def _metered(self: SandboxSender, request: Any, future: Any) -> None:
    started = time.thread_time()
    try:
        _answer(self, request, future)
    finally:
        spent = time.thread_time() - started
        with _lock:
            _totals["sandbox_cpu"] += spent
            _totals["requests"] += 1


def _report(signum: int, frame: FrameType | None) -> None:
    target = Path(os.environ["MCTLTG_BENCH_METER"])
    with _lock:
        text = json.dumps(_totals)
    scratch = target.with_suffix(".tmp")
    scratch.write_text(text)
    scratch.replace(target)


def _without_round_trip() -> None:
    make = Switchboard.__init__

    def init(self: Switchboard, *args: Any, **kwargs: Any) -> None:
        make(self, *args, **{**kwargs, "round_trip": False})

    Switchboard.__init__ = init  # type: ignore[method-assign]


if __name__ == "__main__":
    if os.environ.get("MCTLTG_BENCH_ROUND_TRIP") == "0":
        _without_round_trip()
    SandboxSender._start = _metered  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, _report)
    sys.exit(main(["demo", "--port", "0", *sys.argv[1:]]))
