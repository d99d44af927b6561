"""The reconciler: finishes every top-up and withdrawal whose card-network answer never arrived.

Every app process runs one (started in the lifespan). Each pass claims due OutsideCalls with
`FOR UPDATE SKIP LOCKED` and pushes their next check forward (a lease: a process that dies
mid-pass lets its claims come due again), then, outside any transaction, asks the network what it
did with each reference (`CardProcessor.lookup`) and applies that answer through
`funding.settle`, whose conditional PENDING -> final update makes it happen exactly once, whether
the reconciler, a second reconciler or the original request gets there first. A reference the
network never saw is closed by the lookup and the operation FAILS (NO_ANSWER): a top-up charged
nothing, a withdrawal's hold goes back to the wallet.

An operation becomes due RECONCILE_AFTER_SECONDS after it started, which is longer than a live
request may wait for its answer, so the reconciler never overtakes a request still in flight.

Other kinds of outside call (a merchant's payout) bring their own `Settle` for their transfer kind,
handed in by the composition root, so this module needs to know nothing of merchants.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping
from datetime import timedelta
from typing import Protocol

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app import metrics
from app.cards.processor import Outcome, processor_for
from app.payments import funding
from app.runtime import Runtime
from models import OutsideCall, Transfer, TransferKind, TransferState

log = logging.getLogger("imwallet.reconciler")
BATCH = 20


class Settle(Protocol):
    """Applies the network's answer to a PENDING transfer once; False if it was final already."""

    def __call__(self, rt: Runtime, transfer: Transfer, outcome: Outcome, *, by: str) -> Awaitable[bool]: ...


class Reconciler:
    def __init__(self, rt: Runtime, settlers: Mapping[TransferKind, Settle] | None = None) -> None:
        self._rt = rt
        self._settlers = dict(settlers or {})
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reconciler")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # The first pass runs at start: what a crashed process left pending is finished first.
        while True:
            try:
                while await self.reconcile_due():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("reconcile pass failed (%s); will retry", type(exc).__name__)
            await asyncio.sleep(self._rt.settings.reconcile_poll_seconds)

    async def reconcile_due(self) -> int:
        """Finish one batch of due operations; returns how many were claimed."""
        claimed = await self._claim()
        await asyncio.gather(*(self._reconcile(call) for call in claimed))
        return len(claimed)

    async def _claim(self) -> list[OutsideCall]:
        now = self._rt.clock.now()
        lease = timedelta(seconds=self._rt.settings.reconcile_after_seconds)
        async with in_transaction():
            due = await (OutsideCall.select_for_update(skip_locked=True)
                         .filter(next_check_at__lte=now).order_by("next_check_at", "id").limit(BATCH))
            if due:
                await OutsideCall.filter(id__in=[c.id for c in due]).update(
                    next_check_at=now + lease, checks=F("checks") + 1)
        return list(due)

    async def _reconcile(self, call: OutsideCall) -> None:
        transfer = await Transfer.get(id=call.transfer_id)
        if transfer.state != TransferState.PENDING:
            await OutsideCall.filter(id=call.id).update(next_check_at=None)
            return
        try:
            async with asyncio.timeout(self._rt.settings.card_call_timeout_seconds):
                outcome = await processor_for(self._rt).lookup(call.reference)
        except Exception as exc:
            # The network is unreachable: the lease brings this operation back on a later pass.
            log.warning("transfer %s: lookup failed (%s); will retry", transfer.id, type(exc).__name__)
            return
        outcome = outcome or Outcome(approved=False, decline_reason=funding.NO_ANSWER)
        settle = self._settlers.get(transfer.kind, funding.settle)
        if await settle(self._rt, transfer, outcome, by="reconciler"):
            metrics.reconciler_acted("completed" if outcome.approved else "failed")
            log.info("transfer %s %s by the reconciler (%s)", transfer.id, transfer.state.value,
                     outcome.decline_reason or "approved")
