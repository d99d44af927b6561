"""Wall-clock time for every rule that runs on time (expiry, 24 h returns, rolling windows).

Services read `rt.clock.now()` instead of `datetime.now(UTC)`, so that tests can move time
forward on a running server (`server.runtime.clock.advance(...)`) instead of sleeping, and a
server started with `CLOCK_OFFSET_SECONDS` (tests only; production refuses it) starts in the future,
which is how a freshly started sweeper is shown to find rows that fell due while it was down.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The current instant, in UTC, plus an offset that only tests change."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (tests only)."""
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._offset += delta

    @property
    def offset(self) -> timedelta:
        return self._offset
