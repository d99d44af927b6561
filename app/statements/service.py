"""Statements of one ledger account: generate, sign once while hashing, regenerate for download.

`statement(rt, account_id, ...)` is the account-level entry point and knows nothing of who owns the
account: a user's wallet (`export_for_user`) or a merchant's wallet are checked by their callers.
An export generates the file once into SHA-256 (streamed, never held whole), signs the hash and
returns a short-lived download token; the download regenerates the same bytes from the ledger.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from app.errors import InvalidInput, Requirement, VerificationRequired
from app.ledger.book import wallet_of
from app.runtime import Runtime
from app.statements import movements as ledger_rows
from app.statements.csv_format import csv_chunks
from app.statements.heading import Heading
from app.statements.movements import Period, Totals
from app.statements.pdf_format import PdfStatement
from app.statements.signing import Signed, StatementKeys
from app.statements.tokens import Spec, issue, open_token
from models import LedgerAccount, User

MAX_PERIOD = timedelta(days=366)
DOWNLOAD_TTL = timedelta(minutes=10)
EXPORTS_PER_HOUR = 30
# Each download regenerates the file (seconds of CPU for a long PDF): a leaked link cannot spin the server.
DOWNLOADS_PER_HOUR = 60
_PDF_CHUNK = 64 * 1024


class StatementFormat(StrEnum):
    CSV = "CSV"
    PDF = "PDF"


MEDIA_TYPES = {StatementFormat.CSV: "text/csv; charset=utf-8", StatementFormat.PDF: "application/pdf"}


def keys_of(rt: Runtime) -> StatementKeys:
    """The statement keys of this server's secrets (derived, never stored)."""
    return StatementKeys(rt.settings.key_bytes, rt.settings.previous_key_bytes)


@dataclass(frozen=True)
class Generated:
    """A statement ready to stream: its heading (with totals) and a way to produce its bytes."""

    spec: Spec
    heading: Heading

    @property
    def fmt(self) -> StatementFormat:
        return StatementFormat(self.spec.fmt)

    async def chunks(self) -> AsyncIterator[bytes]:
        period = _period(self.spec)
        batches = ledger_rows.movements(period, self.heading.totals.opening_minor)
        if self.fmt is StatementFormat.CSV:
            async for chunk in csv_chunks(self.heading, batches):
                yield chunk
            return
        # fpdf2 is CPU work: each step runs in a thread so the event loop keeps serving.
        pdf = await asyncio.to_thread(PdfStatement, self.heading)
        async for batch in batches:
            await asyncio.to_thread(pdf.add, batch)
        data = await asyncio.to_thread(pdf.finish)
        for i in range(0, len(data), _PDF_CHUNK):
            yield data[i:i + _PDF_CHUNK]


async def statement(rt: Runtime, account_id: int, period_from: datetime, period_to: datetime,
                    fmt: StatementFormat, *, holder: str = "", through_entry_id: int | None = None,
                    generated_at: datetime | None = None) -> Generated:
    """The statement of any ledger account over [period_from, period_to), bounds already checked.

    `through_entry_id` (default: the account's newest entry) and `generated_at` (default: now) fix
    the bytes: the same arguments always give the same file, as long as the ledger keeps its rows.
    """
    account = await LedgerAccount.get(id=account_id)
    spec = Spec(account_id=account.id, holder=holder, currency=account.currency, start=period_from, end=period_to,
                fmt=fmt.value, through_entry_id=await ledger_rows.last_entry_id(account.id)
                if through_entry_id is None else through_entry_id,
                generated_at=rt.clock.now() if generated_at is None else generated_at, key_id=keys_of(rt).key_id)
    return await _generated(spec)


async def _generated(spec: Spec) -> Generated:
    totals: Totals = await ledger_rows.totals(_period(spec))
    heading = Heading(account_id=spec.account_id, holder=spec.holder, currency=spec.currency, start=spec.start,
                      end=spec.end, generated_at=spec.generated_at, totals=totals, key_id=spec.key_id)
    return Generated(spec, heading)


def _period(spec: Spec) -> Period:
    return Period(spec.account_id, spec.start, spec.end, spec.through_entry_id)


def checked_period(rt: Runtime, period_from: datetime, period_to: datetime) -> tuple[datetime, datetime]:
    """The period as asked, `to` clamped to now; InvalidInput for a period no statement can cover."""
    for field, moment in (("from", period_from), ("to", period_to)):
        if moment.utcoffset() is None:
            raise InvalidInput(field, "needs a time zone offset, e.g. 2026-01-01T00:00:00+08:00")
    if period_to <= period_from:
        raise InvalidInput("to", "must be after from")
    if period_to - period_from > MAX_PERIOD:
        raise InvalidInput("to", f"a statement covers at most {MAX_PERIOD.days} days")
    now = rt.clock.now()
    if period_from >= now:
        raise InvalidInput("from", "must be in the past")
    try:
        return period_from.astimezone(UTC), min(period_to, now).astimezone(UTC)
    except OverflowError:  # the first hours of year 1 at a positive offset are before UTC's year 1
        raise InvalidInput("from", "is out of range") from None


@dataclass(frozen=True)
class Issued:
    """An exported statement: what the client is told, and the token that downloads it."""

    generated: Generated
    sha256_hex: str
    signed: Signed
    size_bytes: int
    token: str
    expires_at: datetime


async def export(rt: Runtime, account_id: int, period_from: datetime, period_to: datetime,
                 fmt: StatementFormat, *, holder: str = "") -> Issued:
    """Generate once into SHA-256, sign the hash, and hand out a download token. Stores nothing."""
    start, end = checked_period(rt, period_from, period_to)
    await rt.limiter.hit(f"statement-export:{account_id}", EXPORTS_PER_HOUR, 3600)
    generated = await statement(rt, account_id, start, end, fmt, holder=holder)
    digest, size = hashlib.sha256(), 0
    async for chunk in generated.chunks():
        digest.update(chunk)
        size += len(chunk)
    sha = digest.hexdigest()
    expires_at = rt.clock.now() + DOWNLOAD_TTL
    return Issued(generated, sha, keys_of(rt).sign(sha), size, issue(rt.keyring, generated.spec, sha, expires_at),
                  expires_at)


async def export_for_user(rt: Runtime, user: User, period_from: datetime, period_to: datetime,
                          fmt: StatementFormat) -> Issued:
    """The statement of the user's own wallet."""
    wallet = await wallet_of(user.id)
    if wallet is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    return await export(rt, wallet.id, period_from, period_to, fmt, holder=user.display_name)


@dataclass(frozen=True)
class Download:
    generated: Generated
    sha256_hex: str
    signed: Signed


class DownloadRefused(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "unknown")
        self.expired = expired


async def open_download(rt: Runtime, token: str) -> Download:
    """The statement a download token names; DownloadRefused if forged or expired, RateLimited
    past DOWNLOADS_PER_HOUR for its account."""
    opened = open_token(rt.keyring, token)
    if opened is None:
        raise DownloadRefused(expired=False)
    if rt.clock.now() >= opened.expires_at:
        raise DownloadRefused(expired=True)
    await rt.limiter.hit(f"statement-download:{opened.spec.account_id}", DOWNLOADS_PER_HOUR, 3600)
    generated = await _generated(opened.spec)
    return Download(generated, opened.sha256_hex, keys_of(rt).sign(opened.sha256_hex))


async def verified_chunks(download: Download) -> AsyncIterator[bytes]:
    """The download's bytes; raises at the end if they differ from what was signed (the response
    then ends without its last chunk, so a client never takes a wrong file for complete)."""
    digest = hashlib.sha256()
    async for chunk in download.generated.chunks():
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != download.sha256_hex:
        raise RuntimeError("a regenerated statement differs from the one signed")
