"""Paying a money request: a payment that also settles one member's share of the request.

A payment, so it lives here; chat is told what to show (the request's update) and never calls
back. The request's state is read again under its row lock inside the payment's transaction, so a
payment and a cancel of the same request serialise: a request cancelled first is never paid.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.backends.base.client import BaseDBAsyncClient

from app import events
from app.chat.announce import member_ids
from app.chat.requests import announce_request_update, visible_request
from app.errors import InvalidInput, RequestClosed
from app.payments.transfers import Sent, make_order, pay
from app.runtime import Runtime
from models import MoneyRequest, RequestPayment, RequestState, Transfer, User


class _Settles:
    """The request part of the payment's transaction."""

    def __init__(self, request: MoneyRequest, payer: User) -> None:
        self.request = request
        self.payer = payer

    async def before(self, conn: BaseDBAsyncClient) -> Iterable[int]:
        # Stream locks first, in one sorted pass, as cancel_request takes them; then the request row.
        streams = {*await member_ids(self.request.conversation_id), self.payer.id, self.request.requester_id}
        await events.lock_streams(streams)
        locked = await MoneyRequest.filter(id=self.request.id).select_for_update().first()
        if locked is None or locked.state != RequestState.OPEN:
            raise RequestClosed("CANCELLED", "The request was cancelled.")
        if await RequestPayment.filter(request_id=self.request.id, payer_id=self.payer.id).exists():
            raise RequestClosed("ALREADY_PAID", "You have already paid this request.")
        self.request = locked
        return streams

    async def after(self, conn: BaseDBAsyncClient, transfer: Transfer) -> None:
        await RequestPayment.create(request_id=self.request.id, payer_id=self.payer.id, transfer_id=transfer.id)
        await announce_request_update(self.request)


async def pay_request(rt: Runtime, user: User, *, request_id: int, pin: str, idempotency_key: str,
                      step_up_code: str | None = None) -> tuple[Sent, MoneyRequest]:
    """Pay a request through the wallet; each member pays a request at most once. A replay of the
    key answers the first payment."""
    request = await visible_request(user, request_id)
    if request.requester_id == user.id:
        raise InvalidInput("requestId", "you cannot pay your own request")
    order = make_order(rt, user, payee_id=request.requester_id, amount_minor=request.amount_minor,
                       memo=request.memo, pin=pin, idempotency_key=idempotency_key, request_id=request.id)
    settles = _Settles(request, user)
    sent = await pay(rt, order, step_up_code=step_up_code, extra=settles)
    return sent, settles.request
