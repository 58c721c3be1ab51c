"""`python -m bot run --webhook` with the benchmark's 3-step form in the product Dispatcher.

The whole product stack (webhook, durable update stream, update gate, i18n, every router),
with `bench_updates.build_form_router()` added where `build_dispatcher` takes extra routers.
Settings from BOT_* as for the product. Started by bench/bench_replicas.py:
    PYTHONPATH=. python bench/replicas_ours.py
"""

from __future__ import annotations

import functools
import sys

from bench_updates import build_form_router

import bot.runners
from bot.cli import main
from bot.factory import build_dispatcher

if __name__ == "__main__":
    bot.runners.build_dispatcher = functools.partial(  # type: ignore[attr-defined]
        build_dispatcher, extra_routers=(build_form_router(),)
    )
    sys.exit(main(["run", "--webhook"]))
