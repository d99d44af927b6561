"""DataLoaders for chat types: one set per HTTP request; uncached on websockets (a socket lives long)."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from app.chat.conversations import members_of
from models import Member, Message, MoneyRequest, RequestPayment, RequestShare, User
from schema.context import Info
from schema.loaders import context_loader


async def _users(ids: list[int]) -> list[User | None]:
    rows = {u.id: u for u in await User.filter(id__in=ids)}
    return [rows.get(i) for i in ids]


async def _messages(ids: list[int]) -> list[Message | None]:
    rows = {m.id: m for m in await Message.filter(id__in=ids)}
    return [rows.get(i) for i in ids]


async def _requests(ids: list[int]) -> list[MoneyRequest | None]:
    rows = {r.id: r for r in await MoneyRequest.filter(id__in=ids)}
    return [rows.get(i) for i in ids]


async def _payments(ids: list[int]) -> list[list[RequestPayment]]:
    found: dict[int, list[RequestPayment]] = {i: [] for i in ids}
    for p in await RequestPayment.filter(request_id__in=ids).order_by("id"):
        found[p.request_id].append(p)
    return [found[i] for i in ids]


async def _shares(ids: list[int]) -> list[list[RequestShare]]:
    found: dict[int, list[RequestShare]] = {i: [] for i in ids}
    for share in await RequestShare.filter(request_id__in=ids).order_by("id"):
        found[share.request_id].append(share)
    return [found[i] for i in ids]


async def _members(ids: list[int]) -> list[list[Member]]:
    found = await members_of(ids)
    return [found[i] for i in ids]


def users(info: Info) -> DataLoader[int, User | None]:
    return context_loader(info, "chat.users", _users)


def messages(info: Info) -> DataLoader[int, Message | None]:
    return context_loader(info, "chat.messages", _messages)


def requests(info: Info) -> DataLoader[int, MoneyRequest | None]:
    return context_loader(info, "chat.requests", _requests)


def payments(info: Info) -> DataLoader[int, list[RequestPayment]]:
    return context_loader(info, "chat.payments", _payments)


def shares(info: Info) -> DataLoader[int, list[RequestShare]]:
    """A split bill's shares by request id (callers only ask for requests the viewer may see)."""
    return context_loader(info, "chat.shares", _shares)


def members(info: Info) -> DataLoader[int, list[Member]]:
    return context_loader(info, "chat.members", _members)
