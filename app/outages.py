"""Telling an outage of a server we depend on from a fault of our own.

When PostgreSQL is down or restarting, every query fails with a connection error (refused, reset,
"not yet accepting connections"). That is not a bug to mask behind a support reference: the client
should hear TEMPORARILY_UNAVAILABLE at once and retry with the same idempotency key, which is safe
because a transaction that was cut off either committed or left nothing behind.
"""

from __future__ import annotations

from asyncpg.exceptions import (  # type: ignore[import-untyped]
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    InterfaceError,
    PostgresConnectionError,
)
from tortoise.exceptions import DBConnectionError

UNAVAILABLE_CODE = "TEMPORARILY_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The database is unavailable; retry shortly with the same idempotency key."
RETRY_AFTER_SECONDS = 1
_UNAVAILABLE = (OSError, TimeoutError, PostgresConnectionError, CannotConnectNowError, ConnectionDoesNotExistError,
                InterfaceError, DBConnectionError)


def database_unavailable(exc: BaseException) -> bool:
    """True if this error (or one it was raised from) says the database cannot be reached."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, _UNAVAILABLE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
