"""How a `backlog` command brings a flow up: its modules imported, safely and cheaply.

A one-off `backlog run` imports Prefect, Great Expectations, pandas and scikit-learn
before its flow can start (the temporary server comes up in its own process meanwhile:
`flows/local_server.py`). Two things make that start-up costlier or less safe than it
needs to be, and are handled here:

- Python's cycle collector: the imports create over a million objects and no cyclic
  garbage worth collecting, yet every full collection walks all that is alive (0.6-0.8 s
  of a small morning's start-up, 0.2-0.3 s of its flow run).
- Ctrl-C and SIGTERM: Python raises them wherever the main thread is. Inside the import
  system, while Great Expectations is imported in another thread, that can leave a
  module lock held, and both threads then wait for ever (a `backlog run` interrupted at
  start-up hung in 2 of 8 tries).

And its end: the interpreter's own teardown (`QuickExit`).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def import_flow(name: str) -> Callable[..., Any]:
    """The flow `name`, imported; the flows that load also import Great Expectations in a
    thread meanwhile (once per process), and return once both imports are done.

    Call it under `signals_held()`.
    """
    from tasks import quality

    preloading = None
    if name in ("backfill", "daily_backlog", "digest"):
        # the flow's own runner then finds GX imported and only sets its suites up
        preloading = quality.SuiteRunner().preload()
    if name == "backfill":
        from flows.backfill import backfill as chosen
    elif name == "digest":
        from flows.digest import digest as chosen
    elif name == "weekly_review":
        from flows.weekly_review import weekly_review as chosen
    else:
        from flows.daily_backlog import daily_backlog as chosen
    if preloading is not None:
        preloading.join()  # no import runs in another thread once the flow starts
    return chosen


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM inside the block take effect right after it (see the module).

    Each held signal is raised again once the command's own handlers are back: the
    command then stops as it does on any other Ctrl-C or SIGTERM. Outside the main thread
    (where Python delivers signals) nothing is held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: object) -> None:
        held.append(signum)

    handlers = {}
    for number in HELD_SIGNALS:
        handler = signal.getsignal(number)
        if callable(handler):  # an ignored signal stays ignored
            handlers[number] = signal.signal(number, hold)
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(held):
            signal.raise_signal(number)


@contextlib.contextmanager
def collector_spared() -> Iterator[Callable[[], None]]:
    """The cycle collector off from here until `started()` (see the module).

    `started()` freezes what start-up made, out of the reach of every later collection,
    and turns the collector back on. What was frozen becomes collectable again at the
    end of the block (the tests run many flows in one process).
    """

    def started() -> None:
        gc.freeze()
        gc.enable()

    gc.disable()
    try:
        yield started
    finally:
        gc.enable()
        gc.unfreeze()


class QuickExit:
    """An exit handler that ends the process without the interpreter's teardown.

    The teardown frees the modules one by one and searches the objects Prefect, Great
    Expectations, pandas and scikit-learn leave (over a million) for reference cycles:
    1.1-1.5 s after a small morning's digest is printed, for memory the process hands back
    anyway. Exit handlers run last-registered first: created first thing in `main`, this
    one runs after every handler the command registered (Prefect's, the temporary server's
    stop, temporary folders' clean-up) and before the few registered at import: logging's,
    which it calls itself, and DuckDB's (its default connection, which we never use, and a
    cache clean-up for its own leak check at teardown).

    `code` stays None unless `main` reaches its end: an exception escaping `main`
    (`--debug`) leaves Python's own exit as it is.
    """

    def __init__(self) -> None:
        self.code: int | None = None
        atexit.register(self)

    def __call__(self) -> None:
        if self.code is None:
            return
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe (`backlog run | head`)
                stream.flush()
        os._exit(self.code)
