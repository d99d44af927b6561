"""How long a statement of a year with 10,000 movements takes, as CSV and as PDF.

    .venv/bin/python -m bench.statements [--movements 10000] [--database-url postgres://...]

Seeds one wallet with N movements (alternating in and out, Chinese names and memos) straight
through the ledger book (app/ledger/book.py, the module every payment uses) in a fresh database
(SQLite in a temporary folder unless --database-url names another), then times `export` (generate
once into SHA-256 and sign) and a download (regenerate and stream) of each format, and reports the
process's peak memory. The seeding shortcut skips PINs, limits and chat: only the ledger matters here.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import resource
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from app.ledger.book import Line, lock_accounts, open_wallet_account, post, system_account
from app.runtime import Runtime
from app.settings import Settings
from app.statements import service
from app.statements.service import StatementFormat
from models import AccountKind, EntryKind, JournalKind, Transfer, TransferKind, TransferState, User
from server.cli import apply_migrations


async def seed(movements: int) -> int:
    """A wallet with `movements` entries against three counterparties; returns its account id."""
    owner = await User.create(phone=_phone(), display_name="王小明", password_hash="-")
    others = [await User.create(phone=_phone(), display_name=name, password_hash="-")
              for name in ("张伟", "李娜", "Bob")]
    wallet = await open_wallet_account(owner, "CNY")
    peers = [await open_wallet_account(u, "CNY") for u in others]
    clearing = await system_account(AccountKind.CARD_CLEARING, "CNY")
    async with in_transaction():  # every party starts with a top-up large enough for the whole run
        for user, account in ((owner, wallet), *zip(others, peers, strict=True)):
            locked = await lock_accounts([clearing.id, account.id])
            t = await _transfer(user, user, 10**9, kind=TransferKind.TOP_UP)
            await post(JournalKind.TOP_UP, t.id, [Line(locked[clearing.id], -10**9),
                                                  Line(locked[account.id], 10**9, EntryKind.TOP_UP)])
    for start in range(1, movements, 500):
        async with in_transaction():
            for i in range(start, min(start + 500, movements)):
                peer, user = peers[i % 3], others[i % 3]
                locked = await lock_accounts([wallet.id, peer.id])
                amount = 100 + i % 997
                out = i % 2 == 0
                payer, payee = (wallet, peer) if out else (peer, wallet)
                t = await _transfer(owner if out else user, user if out else owner, amount, memo=f"第{i}笔 午饭")
                await post(JournalKind.TRANSFER, t.id, [
                    Line(locked[payer.id], -amount, EntryKind.SENT, (user if out else owner).id),
                    Line(locked[payee.id], amount, EntryKind.RECEIVED, (owner if out else user).id)])
    return wallet.id


def _phone() -> str:
    return f"+86139{random.randint(0, 99_999_999):08d}"


async def _transfer(payer: User, payee: User, amount: int, memo: str = "",
                    kind: TransferKind = TransferKind.P2P) -> Transfer:
    return await Transfer.create(kind=kind, state=TransferState.COMPLETED, initiator=payer,
                                 idempotency_key=uuid.uuid4().hex, request_fingerprint="bench", payer_id=payer.id,
                                 payee_id=payee.id, amount_minor=amount, currency="CNY", memo=memo)


async def run(args: argparse.Namespace) -> None:
    folder = tempfile.mkdtemp(prefix="imwallet-statements-bench-")
    settings = Settings(_env_file=None, imwallet_env="test", secret_key="bench-secret-" + "x" * 32,  # type: ignore[call-arg]
                        database_url=args.database_url or f"sqlite://{Path(folder) / 'bench.sqlite3'}")
    await apply_migrations(settings)
    await Tortoise.init(config=settings.tortoise_config())
    rt = Runtime.build(settings)
    try:
        began = time.perf_counter()
        account_id = await seed(args.movements)
        print(f"seeded {args.movements} movements in {time.perf_counter() - began:.1f} s")
        now = rt.clock.now()
        for fmt in (StatementFormat.CSV, StatementFormat.PDF):
            began = time.perf_counter()
            issued = await service.export(rt, account_id, now - timedelta(days=365), now + timedelta(seconds=1), fmt)
            exported = time.perf_counter() - began
            began = time.perf_counter()
            found = await service.open_download(rt, issued.token)
            digest = hashlib.sha256()
            async for chunk in service.verified_chunks(found):
                digest.update(chunk)
            downloaded = time.perf_counter() - began
            assert digest.hexdigest() == issued.sha256_hex
            print(f"{fmt.value}: {issued.generated.heading.totals.movement_count} movements, "
                  f"{issued.size_bytes / 1e6:.2f} MB; export (generate + hash + sign) {exported:.2f} s, "
                  f"download (regenerate + stream) {downloaded:.2f} s")
        print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        await rt.aclose()
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--movements", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
