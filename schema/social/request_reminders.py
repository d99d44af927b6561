"""remindRequest and closeRequest: the requester nudges those who have not paid, or ends the request."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.chat import request_reminders, requests
from app.errors import DomainError
from schema.chat.types import PaymentRequest
from schema.context import Info
from schema.errors import (
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
    RequestClosedError,
    TemporarilyUnavailableError,
    from_domain,
)
from schema.ids import decode_id


@strawberry.input(description="One of your open money requests.")
class RequestRefInput:
    request_id: strawberry.ID = strawberry.field(description="Global id of the `PaymentRequest`.")


@strawberry.type(description="Those who have not paid were reminded.")
class RequestReminded:
    request: PaymentRequest = strawberry.field(description="The request.")
    reminded_count: int = strawberry.field(description="How many members were reminded.")


@strawberry.type(description="The request is closed; payments already made stay.")
class RequestClosedSuccess:
    request: PaymentRequest = strawberry.field(description="The request, now CANCELLED.")


_Errors = (RequestClosedError | NotFoundError | InvalidInputError | NotAuthenticatedError | RateLimitedError
           | TemporarilyUnavailableError)
RemindResult = Annotated[RequestReminded | _Errors, strawberry.union(
        "RemindRequestResult", description="`remindRequest`'s answer, or an error to handle.")]
CloseResult = Annotated[RequestClosedSuccess | _Errors, strawberry.union(
        "CloseRequestResult", description="`closeRequest`'s answer: the closed request, or an error to handle.")]


@strawberry.type
class RequestReminderMutation:
    @strawberry.mutation(description="Remind the members who have not paid your request (3 times an hour at most).")
    async def remind_request(self, info: Info, input: RequestRefInput) -> RemindResult:
        try:
            request, unpaid = await request_reminders.remind_request(
                info.context.rt, info.context.require_viewer(),
                request_id=decode_id(input.request_id, "PaymentRequest", "requestId"))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return RequestReminded(request=PaymentRequest.from_model(request), reminded_count=len(unpaid))

    @strawberry.mutation(description="Close your request: nobody can pay it any more; payments made stay.")
    async def close_request(self, info: Info, input: RequestRefInput) -> CloseResult:
        try:
            request = await requests.cancel_request(info.context.rt, info.context.require_viewer(),
                                                    request_id=decode_id(input.request_id, "PaymentRequest",
                                                                         "requestId"))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return RequestClosedSuccess(request=PaymentRequest.from_model(request))
