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
from server.http_protocol import HTTP_PROTOCOL
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
        # httptools' protocol with a response's head and body in one send() (server/http_protocol.py).
        uvicorn.run("server.main:app", host=args.host, port=args.port, workers=args.workers, lifespan="on",
                    loop="uvloop", http=HTTP_PROTOCOL,
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


def _verify_notification(args: argparse.Namespace) -> int:
    import time

    from app.notifications.signing import SignatureError, verify

    secret = args.secret or os.environ.get("IMWALLET_NOTIFY_SECRET", "")
    if not secret:
        print("give the merchant's signing secret: --secret or IMWALLET_NOTIFY_SECRET", file=sys.stderr)
        return 2
    body = sys.stdin.buffer.read()
    try:
        stamp = verify(secret, args.header, body, time.time(), args.tolerance)
    except SignatureError as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    print(f"valid: signed at {stamp} ({len(body)} bytes)")
    return 0


def _notification_secret(args: argparse.Namespace) -> int:
    from app.notifications.outbox import keyring_secrets
    from app.security.keyed import Keyring

    settings = Settings()
    secrets = keyring_secrets(Keyring(settings.key_bytes, settings.previous_key_bytes), args.merchant)
    print(secrets[0])
    for older in secrets[1:] if args.all else ():
        print(f"{older}  (under a previous SECRET_KEY; still signed with during the rotation)")
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


async def _run_create_merchant(settings: Settings, name: str, owner_phone: str) -> int:
    from app.errors import DomainError
    from app.merchants import accounts

    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    try:
        issued = await accounts.create_merchant(name=name, owner_phone=owner_phone, currency=settings.currency)
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        await Tortoise.close_connections()
    print(f"merchant {issued.merchant.id} ({issued.merchant.name}) created")
    print(f"API key (shown once; send it as 'Authorization: Merchant <key>'): {issued.key}")
    print(f"notification signing secret (verifies the Imwallet-Signature header): "
          f"{_signing_secret(settings, issued.merchant.id)}")
    return 0


def _signing_secret(settings: Settings, merchant_id: int) -> str:
    """Derived from the server key (app.notifications), nothing stored: the same on every call."""
    from types import SimpleNamespace
    from typing import cast

    from app.notifications import signing_secret
    from app.runtime import Runtime
    from app.security.keyed import Keyring

    keys = SimpleNamespace(keyring=Keyring(settings.key_bytes, settings.previous_key_bytes))
    return signing_secret(cast(Runtime, keys), merchant_id)  # it reads the keyring only


def _create_merchant(args: argparse.Namespace) -> int:
    return asyncio.run(_run_create_merchant(Settings(), args.name, args.owner_phone))


async def _run_merchant_key(settings: Settings, action: str, merchant_id: int) -> int:
    from app.clock import Clock
    from app.errors import DomainError
    from app.merchants import accounts

    now = Clock(settings.clock_offset_seconds).now()
    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    try:
        if action == "rotate":
            key = await accounts.rotate_key(merchant_id, now=now)
            print(f"new API key for merchant {merchant_id} (shown once; older keys no longer work): {key}")
        else:
            revoked = await accounts.revoke_keys(merchant_id, now=now)
            print(f"merchant {merchant_id}: {revoked} key(s) revoked; it has no working key now")
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        await Tortoise.close_connections()
    return 0


def _merchant_key(args: argparse.Namespace) -> int:
    return asyncio.run(_run_merchant_key(Settings(), args.action, args.merchant))


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


def _verify_statement(args: argparse.Namespace) -> int:
    import httpx

    from app.statements import verification
    from app.statements.signing import StatementKeys

    path = Path(args.file)
    sig_source = args.signature or f"{args.file}.sig"
    try:
        sig_text = Path(sig_source).read_text() if Path(sig_source).is_file() else sig_source
        if not args.signature and not Path(sig_source).is_file():
            raise FileNotFoundError(sig_source)
        signature = verification.read_signature(sig_text)
        if args.keys:
            keys = verification.load_keys(args.keys)
        else:  # on a server host: the keys its own secrets derive
            settings = Settings()
            keys = StatementKeys(settings.key_bytes, settings.previous_key_bytes).published
        key = verification.check(path, signature, keys)
    except (OSError, ValueError, KeyError, httpx.HTTPError) as exc:
        print(f"imwallet verify-statement: cannot check: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if key is None:
        print(f"INVALID: the signature does not match {path.name} under any published key")
        return 1
    print(f"valid, key id {key.key_id}{'' if key.current else ' (a previous key)'}")
    return 0


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
    check = sub.add_parser("verify-notification", help="check a merchant notification's Imwallet-Signature "
                                                       "header against its body (read from stdin); exit 1 if invalid")
    check.add_argument("--secret", help="the merchant's signing secret (whsec_...; or IMWALLET_NOTIFY_SECRET)")
    check.add_argument("--header", required=True, help="the Imwallet-Signature value: t=...,v1=...")
    check.add_argument("--tolerance", type=float, default=300, help="seconds the timestamp may be off (300)")
    check.set_defaults(func=_verify_notification)
    secret = sub.add_parser("notification-secret", help="print a merchant's signing secret for notifications "
                                                        "(derived from SECRET_KEY)")
    secret.add_argument("--merchant", type=int, required=True, help="the merchant's number")
    secret.add_argument("--all", action="store_true", help="also the secrets under PREVIOUS_SECRET_KEYS")
    secret.set_defaults(func=_notification_secret)
    audit = sub.add_parser("audit", help="check every ledger invariant; exit 1 on any breach")
    audit.add_argument("--pending-bound-seconds", type=float, default=None,
                       help="report top-ups and withdrawals still PENDING after this long (default 600)")
    audit.set_defaults(func=_audit)
    agent = sub.add_parser("create-support-agent",
                           help="make a registered account (by phone) a support agent: it then sees the "
                                "support queue and ticket threads, nothing else of other users")
    agent.add_argument("--phone", required=True)
    agent.set_defaults(func=_make_agent)
    merchant = sub.add_parser("create-merchant", help="create a merchant owned by a registered user (by phone) "
                                                      "with a wallet of its own; prints its API key once")
    merchant.add_argument("--name", required=True)
    merchant.add_argument("--owner-phone", required=True)
    merchant.set_defaults(func=_create_merchant)
    merchant_key = sub.add_parser("merchant-key", help="rotate (new key, old ones stop) or revoke a merchant's keys")
    merchant_key.add_argument("action", choices=["rotate", "revoke"])
    merchant_key.add_argument("--merchant", type=int, required=True, help="the merchant's number")
    merchant_key.set_defaults(func=_merchant_key)
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
    verify = sub.add_parser("verify-statement", help="check a statement file against its detached Ed25519 "
                                                     "signature; exit 0 if valid, 1 if not")
    verify.add_argument("file")
    verify.add_argument("--signature", help="the .sig file or the base64 signature (default: FILE.sig)")
    verify.add_argument("--keys", help="URL or file of the published keys (default: derive from this host's "
                                       "SECRET_KEY and PREVIOUS_SECRET_KEYS)")
    verify.set_defaults(func=_verify_statement)
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
