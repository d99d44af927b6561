"""Throwaway databases for one test run, built by the real migrations (as production is)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def backend() -> str:
    """`postgres` (PostgreSQL and Redis) or `sqlite` (the embedded defaults), from TEST_BACKEND."""
    value = os.environ.get("TEST_BACKEND", "postgres")
    if value not in ("postgres", "sqlite"):
        raise RuntimeError(f"TEST_BACKEND must be postgres or sqlite, not {value!r}")
    return value


async def create_postgres_database() -> tuple[str, str]:
    """Create an empty database; returns (its name, its tortoise URL). A missing server fails."""
    name = f"imwallet_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}?maxsize=20"


async def drop_postgres_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sqlite_url(folder: Path) -> str:
    return f"sqlite://{folder / 'imwallet-test.sqlite3'}"
