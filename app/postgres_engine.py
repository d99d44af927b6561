"""The Tortoise engine for PostgreSQL: asyncpg as Tortoise sets it up, with the pool's reset query
chosen on purpose.

asyncpg resets every connection it takes back with `SELECT pg_advisory_unlock_all(); CLOSE ALL;
UNLISTEN *; RESET ALL;`: one more round trip per checkout (two of a payment's eleven). This app keeps
no session state on pooled connections: advisory locks are transaction-level (`pg_advisory_xact_lock`,
released at commit), nothing LISTENs through the pool, nothing SETs a session variable, no cursor
outlives its transaction. So the reset sends nothing. asyncpg still rolls back a transaction left
open and drops listeners on release (`Connection.reset` does that before the query). Code that
starts keeping session state on a pooled connection must restore this reset query.
"""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.asyncpg.client import AsyncpgDBClient


class StatelessConnection(asyncpg.connection.Connection):  # type: ignore[misc]
    def get_reset_query(self) -> str:
        return ""


class ImwalletAsyncpgClient(AsyncpgDBClient):
    connection_class = StatelessConnection


client_class = ImwalletAsyncpgClient
