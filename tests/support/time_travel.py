"""Moving the session server's clock for one test, then back.

Code that reads `rt.clock` and rows stamped by the database (`auto_now_add`) disagree while the
clock is moved (a withdrawal made "yesterday" by the clock's day), so later tests must find the
clock where it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.clock import Clock
from tests.support.server import RunningServer


@contextmanager
def travelling(server: RunningServer) -> Iterator[Clock]:
    clock = server.runtime.clock
    saved = clock.offset
    try:
        yield clock
    finally:
        clock._offset = saved  # tests only: Clock itself moves forward only, by design
