"""The `imwallet` command: serve (migrating first), migrate, and operator tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.config
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from app.settings import Settings
from server.logs import log_config

# Read by prometheus_client when app.metrics is imported; this process (the supervisor) must not
# import it before the folder exists, so nothing here imports server.observability.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


async def apply_migrations(settings: Settings) -> None:
    """Apply pending migrations; idempotent."""
    await tortoise_migrate(config=settings.tortoise_config())
    await Tortoise.close_connections()


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if not args.skip_migrations:
        asyncio.run(apply_migrations(settings))
    if args.workers > 1 and not settings.is_postgres:
        print("SQLite serves one process only: use DATABASE_URL=postgres://... for --workers > 1",
              file=sys.stderr)
        return 2
    with _metrics_across_workers(args.workers):
        # uvloop and httptools (uvicorn[standard]) named, not "auto": a missing wheel fails the start
        # instead of serving on asyncio's loop and the pure-Python h11 parser at a fraction of the speed.
        uvicorn.run("server.main:app", host=args.host, port=args.port, workers=args.workers, lifespan="on",
                    loop="uvloop", http="httptools",
                    ws_max_size=settings.max_body_bytes, proxy_headers=True, log_config=log_config(settings),
                    timeout_graceful_shutdown=10,  # a deploy is not held by long-lived sockets
                    # uvicorn's supervisor pings each worker and kills one silent for 5 s; a worker still
                    # importing the app (6-15 s on a loaded 2-core machine) was killed and respawned in a
                    # loop, so --workers 2 never served. A hung worker is still replaced, after 30 s.
                    timeout_worker_healthcheck=30)
    return 0


@contextmanager
def _metrics_across_workers(workers: int) -> Iterator[None]:
    """Several workers write their metrics to files in one folder, which /metrics sums (set before
    any worker imports prometheus_client). An operator's PROMETHEUS_MULTIPROC_DIR is used as given."""
    given = os.environ.get(MULTIPROC_ENV)
    if workers <= 1 and not given:
        yield
        return
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="imwallet-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # values from a previous run would be summed in
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(path, ignore_errors=True)


def _cluster(args: argparse.Namespace) -> int:
    from server.cluster import run_cluster

    return run_cluster(args.instances, args.host, args.port)


def _migrate(_: argparse.Namespace) -> int:
    asyncio.run(apply_migrations(Settings()))
    print("migrations applied")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from schema import export_sdl

    sdl = export_sdl()
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(sdl)
    return 0


async def _run_audit(settings: Settings, pending_bound_seconds: float | None = None) -> int:
    from app.clock import Clock
    from app.ledger.audit import PENDING_BOUND_SECONDS, audit

    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    try:
        bound = PENDING_BOUND_SECONDS if pending_bound_seconds is None else pending_bound_seconds
        breaches = await audit(pending_bound_seconds=bound, now=Clock(settings.clock_offset_seconds).now())
    finally:
        await Tortoise.close_connections()
    for breach in breaches:
        print(f"BREACH: {breach.invariant}")
        for row in breach.rows:
            print(f"  {row}")
    print("ledger audit: " + (f"{len(breaches)} invariant(s) broken" if breaches else "all invariants hold"))
    return 1 if breaches else 0


def _audit(args: argparse.Namespace) -> int:
    return asyncio.run(_run_audit(Settings(), args.pending_bound_seconds))


async def _run_make_agent(settings: Settings, phone: str) -> int:
    from app.chat.support import make_agent
    from app.errors import DomainError

    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    try:
        user = await make_agent(phone)
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        await Tortoise.close_connections()
    print(f"{user.phone} ({user.display_name}) is now a support agent")
    return 0


def _make_agent(args: argparse.Namespace) -> int:
    return asyncio.run(_run_make_agent(Settings(), args.phone))


async def _run_demo(settings: Settings, base_url: str) -> int:
    from app.demo import describe, run_demo
    from app.runtime import Runtime

    await tortoise_migrate(config=settings.tortoise_config())
    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    rt = Runtime.build(settings)
    try:
        print(describe(await run_demo(rt), base_url))
    finally:
        await rt.aclose()
        await Tortoise.close_connections()
    return 0


def _demo(args: argparse.Namespace) -> int:
    return asyncio.run(_run_demo(Settings(), args.base_url.rstrip("/")))


def _torture(args: argparse.Namespace) -> int:
    # The run drives real processes with the test suite's sinks and flows, so it lives in tests/torture
    # of a source checkout; this is its front door.
    argv = [sys.executable, "-m", "tests.torture", "--seed", str(args.seed), "--operations", str(args.operations),
            "--clients", str(args.clients)]
    return subprocess.call(argv)  # noqa: S603 (our own interpreter, integer arguments)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imwallet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply pending migrations, then serve HTTP and websockets")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or 1),
                       help="worker processes (default: WEB_CONCURRENCY, else 1)")
    serve.add_argument("--skip-migrations", action="store_true",
                       help="serve without applying pending migrations (after `imwallet migrate`)")
    serve.set_defaults(func=_serve)
    cluster = sub.add_parser("cluster", help="run N instances on consecutive ports against PostgreSQL and Redis")
    cluster.add_argument("--instances", "-n", type=int, default=2)
    cluster.add_argument("--host", default="127.0.0.1")
    cluster.add_argument("--port", type=int, default=8000, help="the first instance's port")
    cluster.set_defaults(func=_cluster)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=_migrate)
    audit = sub.add_parser("audit", help="check every ledger invariant; exit 1 on any breach")
    audit.add_argument("--pending-bound-seconds", type=float, default=None,
                       help="report top-ups and withdrawals still PENDING after this long (default 600)")
    audit.set_defaults(func=_audit)
    agent = sub.add_parser("create-support-agent",
                           help="make a registered account (by phone) a support agent: it then sees the "
                                "support queue and ticket threads, nothing else of other users")
    agent.add_argument("--phone", required=True)
    agent.set_defaults(func=_make_agent)
    demo = sub.add_parser("demo", help="fill the database with two ready demo users (wallet, card, balance, "
                                       "chats, a transfer, a request) and print their tokens for GraphiQL")
    demo.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the server will answer")
    demo.set_defaults(func=_demo)
    torture = sub.add_parser("torture", help="a seeded, model-checked run of mixed requests under app kills and "
                                             "Redis outages (from a source checkout; exit 1 on any violation)")
    torture.add_argument("--seed", type=int, required=True)
    torture.add_argument("--operations", type=int, default=2000)
    torture.add_argument("--clients", type=int, default=8)
    torture.set_defaults(func=_torture)
    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", default="schema.graphql")
    export.set_defaults(func=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.disable(logging.CRITICAL)  # what settings log is logged again, formatted, by the command
    try:
        logging.config.dictConfig(log_config(Settings()))
    except ValidationError as exc:  # e.g. production without SECRET_KEY: say why, without a traceback
        print(f"imwallet: refusing to start: {exc}", file=sys.stderr)
        return 2
    finally:
        logging.disable(logging.NOTSET)
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
