"""Account lifecycle: export one's data, delete the account."""

from __future__ import annotations

import json
from typing import Annotated

import strawberry

from app.people import account
from schema.context import Info
from schema.errors import (
    AccountNotEmptyError,
    InvalidCredentialsError,
    InvalidInputError,
    NotAuthenticatedError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from schema.people.outcome import attempt


@strawberry.type(description="All your data as one JSON document, to save as a file.")
class DataExport:
    file_name: str = strawberry.field(description="A name to save it under.")
    content_type: str = strawberry.field(description="Always application/json.")
    document: str = strawberry.field(description="The JSON document: profile, privacy, contacts, blocked, "
                                                 "messages, wallet, cards, records.")


@strawberry.type(description="The account is deleted and every session has ended.")
class AccountDeleted:
    deleted: bool = strawberry.field(description="Always true.")


@strawberry.input(description="Confirm the deletion with your login password.")
class DeleteAccountInput:
    password: str = strawberry.field(description="Your login password.")


ExportResult = Annotated[DataExport | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError,
                         strawberry.union("ExportMyDataResult",
                     description="`exportMyData`'s answer: the JSON document, or an error to handle.")]
DeleteResult = Annotated[AccountDeleted | AccountNotEmptyError | InvalidCredentialsError | InvalidInputError
                         | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError,
                         strawberry.union("DeleteAccountResult",
                     description="`deleteAccount`'s answer: Done, or an error to handle.")]


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Export your data (profile, contacts, messages, records) as one JSON file.")
    async def export_my_data(self, info: Info) -> ExportResult:
        async def run() -> DataExport:
            viewer = info.context.require_viewer()
            await info.context.rt.limiter.hit(f"export:{viewer.id}", 10, 3600)
            data = await account.export_my_data(viewer)
            return DataExport(file_name=f"imwallet-export-{viewer.id}.json", content_type="application/json",
                              document=json.dumps(data, ensure_ascii=False, indent=2))
        return await attempt(run)

    @strawberry.mutation(description="Delete your account: refused while your wallet holds money or a payment "
                                     "is pending. Payment records stay, anonymised; the rest is removed.")
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DeleteResult:
        async def run() -> AccountDeleted:
            await account.delete_account(info.context.rt, info.context.require_viewer(), password=input.password)
            return AccountDeleted(deleted=True)
        return await attempt(run)
