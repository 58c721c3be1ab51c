"""Process settings for long-running bot processes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable

log = logging.getLogger(__name__)

GC_THRESHOLDS = (50_000, 50, 1_000)


def tune_garbage_collector() -> None:
    """Move start-up objects out of the collector's way and collect young objects less often.

    Each update allocates many short-lived pydantic objects; with Python's default
    thresholds the collector runs so often that it costs about a third of the throughput
    under load (measured in bench/bench_updates.py). Reference counting still frees almost
    everything immediately; only cycles wait a little longer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, so a process can finish what it has in hand."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def finish_within(work: Awaitable[object], seconds: float) -> bool:
    """Let `work` (loops told to stop) finish; cancel it after `seconds`. True if it finished.

    Cancelling reaches every task `work` gathers: an update queue hands back what it had not
    finished, a handler cut before its answer leaves the update unmarked for the next run.
    """
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        log.warning("shutdown: work still running after %.0fs; cutting it short", seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    return True
