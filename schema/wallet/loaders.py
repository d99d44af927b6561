"""DataLoaders for wallet types: one set per HTTP request; uncached on websockets (a socket lives long).

A page of payment records asks for each transfer's parties and journals; these batch every such
field of the page into one load (a fixed number of queries), instead of queries per transfer.
"""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from app.devices import enrolment
from app.payments import records
from app.payments.records import Counterparty
from models import Journal, PaymentDevice
from schema.context import Info
from schema.loaders import context_loader


async def _people(user_ids: list[int]) -> list[Counterparty | None]:
    found = await records.counterparties(set(user_ids))
    return [found.get(i) for i in user_ids]


async def _journals(transfer_ids: list[int]) -> list[list[Journal]]:
    found = await records.journals_for(transfer_ids)
    return [found[i] for i in transfer_ids]


def people(info: Info) -> DataLoader[int, Counterparty | None]:
    """Users with their identities, by user id (callers only ask for ids they may see)."""
    return context_loader(info, "wallet.people", _people)


def journals(info: Info) -> DataLoader[int, list[Journal]]:
    """Journals by transfer id (callers only ask for transfers the viewer may see)."""
    return context_loader(info, "wallet.journals", _journals)


async def _approving_devices(keys: list[tuple[int, str]]) -> list[PaymentDevice | None]:
    found = await enrolment.approvals_for(keys)
    return [found.get(k) for k in keys]


def approving_devices(info: Info) -> DataLoader[tuple[int, str], PaymentDevice | None]:
    """The device that approved a payment, by (payer id, idempotency key)."""
    return context_loader(info, "wallet.approving_devices", _approving_devices)
