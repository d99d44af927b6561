"""`make bench` (or `python -m bench [--quick] [--compare results/X.json]`): see docs/performance.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from tortoise import Tortoise

from bench import realtime, report
from bench.capture import build_replay, recording, run_replay
from bench.preflight import check_connections, connections_needed
from bench.raw import run_raw
from bench.seed import PIN, Seeded, offset_sequences, seed, settings_from_env
from bench.stack import PG, POOL_PER_PROCESS, ROOT, Stack, postgres_cpu_seconds
from bench.workloads import HttpWorkload, directed, http_workloads
from bench.wrk import Sample, ensure_wrk, run_wrk, write_data

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Profile:
    wallets: int
    seconds: float
    warmup: float
    repetitions: int
    concurrencies: tuple[int, ...]
    chats: int
    history: int
    subscribers: int
    rate: float
    realtime_seconds: float
    budget_seconds: float


FULL = Profile(wallets=1000, seconds=2.5, warmup=1.2, repetitions=3, concurrencies=(4, 50), chats=20, history=60,
               subscribers=1000, rate=100, realtime_seconds=10, budget_seconds=14.5 * 60)
QUICK = Profile(wallets=120, seconds=1.5, warmup=1, repetitions=1, concurrencies=(4, 50), chats=6, history=55,
                subscribers=120, rate=20, realtime_seconds=4, budget_seconds=5 * 60)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Checks:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, what: str, ok: bool, detail: str = "") -> None:
        self.items.append({"what": what, "ok": ok, "detail": detail})
        if not ok:
            log(f"CHECK FAILED: {what} {detail}")


async def ledger_totals(conn: asyncpg.Connection) -> tuple[int, int]:
    transfers = await conn.fetchval("SELECT count(*) FROM transfers WHERE kind = 'P2P'")
    total = await conn.fetchval(
        "SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts WHERE kind = 'USER_WALLET'")
    return int(transfers), int(total)


async def peer_totals(conn: asyncpg.Connection) -> tuple[int, int]:
    return int(await conn.fetchval("SELECT count(*) FROM transfers")), int(await conn.fetchval(
        "SELECT SUM(balance) FROM wallet"))


async def audit_ok() -> tuple[bool, str]:
    from app.ledger.audit import audit

    breaches = await audit()
    return not breaches, "; ".join(b.invariant for b in breaches)


async def resolve_inflight(server_url: str, inflight: list[tuple[str, str]]) -> int:
    """Replay each request wrk cut off, with its idempotency key: a client's retry after a lost answer."""
    async with httpx.AsyncClient(base_url=server_url, timeout=30,
                                 limits=httpx.Limits(max_connections=len(inflight) or 1)) as http:
        async def retry(token: str, raw: str) -> bool:
            r = await http.post("/graphql", content=raw, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            return "TransferSuccess" in r.text

        return sum(await asyncio.gather(*(retry(token, raw) for token, raw in inflight)))


async def wait_outbox_drained(conn: asyncpg.Connection, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = int(await conn.fetchval("SELECT count(*) FROM outbound_messages WHERE sent_at IS NULL"))
        if left == 0 or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.5)


def pair_roles(seeded: Seeded, members: dict[tuple[int, int], int], a: int, b: int) -> dict[str, int]:
    u = seeded.users
    conv = seeded.conversation(a, b)
    return {"payer_user": u[a].id, "payee_user": u[b].id, "payer_wallet": u[a].wallet_id,
            "payee_wallet": u[b].wallet_id, "conversation": conv,
            "payer_member": members[(conv, u[a].id)], "payee_member": members[(conv, u[b].id)]}


async def capture_send_money(rt: Any, seeded: Seeded, members: dict[tuple[int, int], int],
                             conn: asyncpg.Connection) -> Any:
    """Run one sendMoney through the service with every statement recorded; build the replay."""
    from app.payments.transfers import send_money
    from models import User

    a, b = next((x, y) for x, y, _ in seeded.pairs if x != 0 and y != 0 and (x, y, _) not in seeded.chats)
    roles = pair_roles(seeded, members, a, b)
    balances = {name: int(await conn.fetchval("SELECT balance_minor FROM ledger_accounts WHERE id = $1", roles[name]))
                for name in ("payer_wallet", "payee_wallet")}
    payer = await User.get(id=roles["payer_user"])
    key = f"bench-capture-{uuid.uuid4()}"
    captured_at = datetime.now(UTC)
    with recording() as seen:
        await send_money(rt, payer, payee_id=roles["payee_user"], amount_minor=1, memo="", pin=PIN,
                         idempotency_key=key)
    return build_replay(seen, roles, key=key, amount_minor=1, balances_before=balances, captured_at=captured_at)


async def main(args: argparse.Namespace) -> int:
    profile = QUICK if args.quick else FULL
    if args.seconds:
        profile = Profile(**{**asdict(profile), "seconds": args.seconds, "warmup": min(profile.warmup, args.seconds)})
    if args.repetitions:
        profile = Profile(**{**asdict(profile), "repetitions": args.repetitions})
    if args.wallets:
        profile = Profile(**{**asdict(profile), "wallets": args.wallets, "subscribers": args.wallets,
                             "chats": min(profile.chats, max(2, args.wallets // 20))})
    started_wall = time.monotonic()
    stack = Stack()
    checks = Checks()
    rt = None
    sms = mail = None
    try:
        short = await check_connections(f"{PG}/postgres", connections_needed(
            pool_per_process=POOL_PER_PROCESS, workers=2, peer=not args.no_peer,
            max_concurrency=max(profile.concurrencies)))
        if short:
            log(short)
            return 2
        wrk = ensure_wrk()
        from tests.support.sinks import MailSink, SmsSink  # the tests' real far ends, reused

        sms, mail = SmsSink(), MailSink()
        await sms.start()
        mail.start()
        await stack.create_database(stack.db_name)
        env = stack.product_env(sms.url, mail.port)
        settings = settings_from_env(env)
        from app.runtime import Runtime
        from server.cli import apply_migrations

        await apply_migrations(settings)
        await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
        await offset_sequences()
        log(f"database {stack.db_name}; starting the product (2 workers) and the Node peer")
        await stack.start_server(env)
        peer_task = asyncio.create_task(stack.start_peer(profile.wallets)) if not args.no_peer else None
        rt = Runtime.build(settings)
        t0 = time.monotonic()
        seeded = await seed(rt, sms, wallets=profile.wallets, chats=profile.chats, history=profile.history)
        log(f"seeded {len(seeded.users)} users, {len(seeded.pairs)} direct conversations, a group of "
            f"{min(200, len(seeded.users))}, {len(seeded.chats)} chats of {profile.history} messages "
            f"in {time.monotonic() - t0:.0f} s")
        if peer_task is not None:
            await peer_task
        check = await asyncpg.connect(stack.dsn)
        peer_check = await asyncpg.connect(stack.peer_dsn) if not args.no_peer else None
        left = await wait_outbox_drained(check)
        checks.add("seeding SMS delivered to the sink before measuring", left == 0, f"{left} left")
        members = {(r["conversation_id"], r["user_id"]): r["id"] for r in await check.fetch(
            "SELECT id, conversation_id, user_id FROM conversation_members")}
        replay = await capture_send_money(Runtime.build(settings), seeded, members, check)
        log(f"captured sendMoney: {len(replay.capture)} statements, transaction of {len(replay.statements)}; "
            f"unmapped: {replay.unmapped or 'none'}")
        replay_pairs = [pair_roles(seeded, members, a, b) for a, b in directed(seeded)]
        hot_pairs = [pair_roles(seeded, members, a, 0) for a in range(1, len(seeded.users))]
        probe = await asyncpg.connect(stack.dsn)
        await run_replay(probe, replay, replay_pairs[1])
        await probe.close()
        ok, detail = await audit_ok()
        checks.add("one replayed transfer transaction keeps the ledger invariants", ok, detail)

        chat_convs = [c for _, _, c in seeded.chats]
        insert_sql = ("INSERT INTO messages (conversation_id, kind, author_id, text, memo, created_at) "
                      "VALUES ($1, 'text', $2, 'bench', '', now()) RETURNING id")
        authors = {(c): seeded.users[a].id for a, _, c in seeded.chats}
        # A page between two cursors, as the product's page is bounded (app/chat/history.py). With one
        # bound only, the generic plan asyncpg's prepared statement settles on after five executions took
        # a chat for the average conversation (5 rows) and read all of it for 50 (bitmap scan + top-N
        # sort, 4.6 ms for a chat of 2,200); with both, it ranges over (conversation_id, id) (0.09 ms).
        keyset_sql = ("SELECT id, conversation_id, kind, author_id, text, client_message_id, created_at, edited_at, "
                      "recalled_at, transfer_id, amount_minor, currency, memo, transfer_state, request_id "
                      "FROM messages WHERE conversation_id = $1 AND id > $2 AND id < $3 ORDER BY id DESC LIMIT 50")

        async def raw_transfer(pool: list[dict[str, int]]) -> Any:
            async def op(conn: asyncpg.Connection, rng: Any) -> None:
                await run_replay(conn, replay, rng.choice(pool))
            return op

        async def raw_insert(conn: asyncpg.Connection, rng: Any) -> None:
            c = rng.choice(chat_convs)
            await conn.fetchval(insert_sql, c, authors[c])

        async def raw_keyset(conn: asyncpg.Connection, rng: Any) -> None:
            rows = await conn.fetch(keyset_sql, rng.choice(chat_convs), 0, 2**62)
            assert len(rows) == 50, len(rows)

        raw_ops = {"raw transfer uniform": await raw_transfer(replay_pairs),
                   "raw transfer hot wallet": await raw_transfer(hot_pairs),
                   "raw message insert": raw_insert, "raw keyset read of 50": raw_keyset}
        http = {w.name: w for w in http_workloads(seeded) if not (args.no_peer and w.target == "peer")}
        data_dir = stack.tmp / "wrk"
        data_dir.mkdir()
        data_files = {name: write_data(data_dir / f"{n}.lua", url_path=w.path, marker=w.marker, requests=w.requests)
                      for n, (name, w) in enumerate(http.items())}
        order = ["sendMoney uniform", "raw transfer uniform", "node transfer uniform", "sendMoney hot wallet",
                 "raw transfer hot wallet", "sendMessage direct", "sendMessage group of 200", "raw message insert",
                 "history page of 50", "raw keyset read of 50", "conversations(first: 20)",
                 "me wallet transactions(20)", "login", "{ __typename }", "node { __typename }"]
        wanted = [w for w in order if (w in http or w in raw_ops)
                  and (not args.only or any(o.strip() in w for o in args.only.split(",")))]
        rt_result = None
        if not args.only or "receipts" in args.only:
            # First, while the server's memory is as seeding left it (login's argon2 buffers come and go).
            log(f"receipts: {profile.subscribers} subscribers, {profile.rate} transfers/s")
            before = await ledger_totals(check)
            assert stack.server is not None
            rt_result = await realtime.run(stack.server_url, stack.server, seeded, subscribers=profile.subscribers,
                                           rate=profile.rate, seconds=profile.realtime_seconds)
            await asyncio.sleep(1)
            after = await ledger_totals(check)
            answered = rt_result["transfers"] + rt_result["retried_after_no_answer"]
            checks.add("receipts run: transfers recorded = successes (answered, or retried after no answer)",
                       after[0] - before[0] == answered, f"{after[0] - before[0]} vs {answered}")
            ok, detail = await audit_ok()
            checks.add("receipts run: balances sum unchanged, audit", after[1] == before[1] and ok, detail)
        samples: dict[str, list[dict[str, Any]]] = {}
        over_budget = False
        for rep in range(profile.repetitions):
            log(f"round {rep + 1} of {profile.repetitions}")
            for c in profile.concurrencies:
                for name in wanted:
                    if time.monotonic() - started_wall > profile.budget_seconds - 60:
                        checks.add("finished inside the time budget", False,
                                   f"round {rep + 1} stopped before {name} @c={c}")
                        over_budget = True
                        break
                    sample = await measure(name, c, profile, stack, wrk, http, data_files, raw_ops, check,
                                           peer_check, checks)
                    samples.setdefault(report.key(name, c), []).append(
                        {k: v for k, v in asdict(sample).items() if k != "inflight"})
                if over_budget:
                    break
            if over_budget:
                break
        results = {}
        for name in wanted:
            for c in profile.concurrencies:
                k = report.key(name, c)
                if k in samples:
                    results[k] = {"workload": name, "concurrency": c, **report.aggregate(samples[k])}
        cli = subprocess.run([str(Path(sys.executable).parent / "imwallet"), "audit"], env=env, cwd=stack.tmp,
                             capture_output=True, text=True, timeout=120)
        checks.add("`imwallet audit` at the end", cli.returncode == 0, cli.stdout.strip().splitlines()[-1:][0]
                   if cli.stdout.strip() else cli.stderr[-300:])
        await check.close()
        if peer_check is not None:
            await peer_check.close()
        doc = {
            "run": {"started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "profile": asdict(profile),
                    "command": " ".join(["python -m bench", *sys.argv[1:]]), "cpus": os.cpu_count(),
                    "commit": _git_commit(), "duration_s": round(time.monotonic() - started_wall, 1),
                    "server": "imwallet serve --workers 2, IMWALLET_ENV=production, PostgreSQL + Redis bus",
                    "peer": "shared/peer-node, WORKERS=2, POOL=10, Apollo"},
            "capture": {"request_statements": replay.capture, "transaction": replay.describe(),
                        "unmapped": replay.unmapped},
            "results": results,
            "comparisons": report.comparisons(results, list(profile.concurrencies)),
            "latency": report.latency_checks(results),
            "realtime": rt_result,
            "checks": checks.items,
        }
        previous = json.loads(Path(args.compare).read_text()) if args.compare else None
        print()
        print(report.render(doc, previous))
        path = report.write(doc, Path(args.results))
        log(f"written {path} in {doc['run']['duration_s']} s")
        return 0 if all(c["ok"] for c in checks.items) else 1
    finally:
        await Tortoise.close_connections()
        if rt is not None:
            await rt.aclose()
        if mail is not None:
            mail.stop()
        if sms is not None:
            await sms.stop()
        await stack.close()
        log("stopped every process and dropped the databases it made")


async def settle(conn: asyncpg.Connection, stack: Stack, timeout: float = 20) -> None:
    """Let the server finish what the previous run left, so one run's backlog is not billed to the
    next: the relay publishing events (a group message is 200), and work wrk left queued when it
    stopped (50 logins are 50 argon2 hashes queued in the pool the PIN checks share). Idle means no
    unpublished event and the server's processes using under a tenth of a core for 0.3 s.

    It also refreshes the planner's statistics, as autovacuum would on a database written at this
    rate: the runs write faster than autoanalyze comes by (a minute's naptime), and with stale
    statistics the planner took a chat of 16,000 messages for 19 rows and read all of them for a
    page of 50 (a bitmap scan and a sort, 7.9 ms, instead of a backward index scan). The raw keyset
    read then measured 130-900/s or 11,000-16,000/s depending on whether autoanalyze had run. The
    rest of its swing was its one-sided bound's generic plan, now bounded on both sides
    (docs/performance-findings.md, "Session 12")."""
    started = time.monotonic()
    await conn.execute("ANALYZE")
    analyzed = time.monotonic() - started
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM events WHERE published_at IS NULL)")
        processes = [p for p in (stack.server, stack.peer) if p is not None]
        before = [p.cpu_seconds() for p in processes]
        await asyncio.sleep(0.3)
        busy = any(p.cpu_seconds() - b > 0.03 for p, b in zip(processes, before, strict=True))
        if not pending and not busy:
            break
    if time.monotonic() - started > 1.5:
        log(f"  (waited {time.monotonic() - started:.1f} s for the server to finish the previous run's work; "
            f"ANALYZE took {analyzed:.1f} s)")


async def measure(name: str, c: int, profile: Profile, stack: Stack, wrk: str, http: dict[str, HttpWorkload],
                  data_files: dict[str, Path], raw_ops: dict[str, Any], check: asyncpg.Connection,
                  peer_check: asyncpg.Connection | None, checks: Checks) -> Sample:
    await settle(check, stack)
    if name in raw_ops:
        money = name.startswith("raw transfer")
        before = await ledger_totals(check) if money else (0, 0)
        pg_from = postgres_cpu_seconds()
        sample = await run_raw(stack.dsn, raw_ops[name], connections=c, seconds=profile.seconds,
                               warmup=profile.warmup)
        sample.pg_us = _per_answer(postgres_cpu_seconds() - pg_from, sample)
        if money:
            after = await ledger_totals(check)
            ok, detail = await audit_ok()
            checks.add(f"{name} @c={c}: transfers = successes, sum unchanged, audit",
                       after[0] - before[0] == sample.ok and after[1] == before[1] and ok,
                       f"{after[0] - before[0]} transfers for {sample.ok} successes; {detail}")
        _line(name, c, sample)
        return sample
    w = http[name]
    url = (stack.server_url if w.target == "product" else stack.peer_url) + w.path
    target = stack.server if w.target == "product" else stack.peer

    async def load() -> Sample:
        cpu_from, pg_from = target.cpu_seconds() if target else 0.0, postgres_cpu_seconds()
        sample = await run_wrk(wrk, url, data_files[name], connections=c, seconds=profile.seconds,
                               warmup=profile.warmup)
        if target:
            sample.cpu_us = _per_answer(target.cpu_seconds() - cpu_from, sample)
        sample.pg_us = _per_answer(postgres_cpu_seconds() - pg_from, sample)
        return sample

    if w.money and w.target == "peer" and peer_check is not None:
        before = await peer_totals(peer_check)
        sample = await load()
        await asyncio.sleep(0.3)
        after = await peer_totals(peer_check)
        delta = after[0] - before[0]
        # The peer has no idempotency keys: a request cut off in flight may or may not have committed.
        checks.add(f"{name} @c={c}: transfers = successes (+ cut off), sum unchanged",
                   sample.ok <= delta <= sample.ok + len(sample.inflight) and after[1] == before[1],
                   f"{delta} transfers for {sample.ok} successes, {len(sample.inflight)} cut off")
    elif w.money:
        before = await ledger_totals(check)
        sample = await load()
        retried = await resolve_inflight(stack.server_url, sample.inflight)
        after = await ledger_totals(check)
        ok, detail = await audit_ok()
        checks.add(f"{name} @c={c}: transfers = successes, sum unchanged, audit",
                   after[0] - before[0] == sample.ok + retried and after[1] == before[1] and ok and sample.bad == 0,
                   f"{after[0] - before[0]} transfers for {sample.ok} + {retried} retried successes "
                   f"({len(sample.inflight)} cut off); {sample.bad} bad; {detail}")
    else:
        sample = await load()
    if sample.bad:
        checks.add(f"{name} @c={c}: every answer a success", False, f"{sample.bad} bad: {sample.bad_samples[:1]}")
    _line(name, c, sample)
    return sample


def _per_answer(cpu_seconds: float, sample: Sample) -> float:
    """CPU in µs per answer of the whole run (warm-up included, as the CPU was read around it)."""
    return 1e6 * cpu_seconds / max(1, sample.requests)


def _line(name: str, c: int, s: Sample) -> None:
    log(f"  {name:30} c={c:<3} {s.throughput:8.1f}/s  p50 {s.p50_ms:7.1f} ms  p99 {s.p99_ms:7.1f} ms"
        + (f"  (whole run {s.total_rate:.1f}/s)" if s.total_rate else "")
        + (f"  {s.cpu_us:.0f} µs CPU/answer" if s.cpu_us else "")
        + (f"  {s.pg_us:.0f} µs PostgreSQL/answer" if s.pg_us else "")
        + (f"  bad {s.bad}" if s.bad else ""))


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except OSError:
        return ""


def cli() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a 2-3 minute smoke run (120 wallets, 1.5 s windows, 1 round)")
    parser.add_argument("--compare", metavar="JSON", help="a previous bench/results/*.json to compare with")
    parser.add_argument("--only", help="comma-separated parts of workload names to run (plus 'receipts')")
    parser.add_argument("--seconds", type=float, help="seconds per measured run")
    parser.add_argument("--repetitions", type=int, help="rounds over all configurations")
    parser.add_argument("--wallets", type=int, help="users and wallets to seed (at least 12)")
    parser.add_argument("--results", default=str(RESULTS), help="directory for the JSON (default bench/results)")
    parser.add_argument("--no-peer", action="store_true", help="skip the Node peer (no node/npm here)")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started in the background with SIGINT ignored

    async def bounded() -> int:
        return await asyncio.wait_for(main(args), profile.budget_seconds + 60)

    return asyncio.run(bounded())


if __name__ == "__main__":
    raise SystemExit(cli())
