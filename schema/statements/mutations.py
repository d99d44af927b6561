"""exportStatement: the viewer's wallet statement, signed, with a short-lived download link."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.statements import service
from app.statements.service import StatementFormat
from schema.context import Info
from schema.enums import register_enum
from schema.errors import (
    InvalidInputError,
    NotAuthenticatedError,
    RateLimitedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.money import Money

register_enum(StatementFormat, name="StatementFormat", description="The file a statement comes as.", values={
    "CSV": "Comma-separated values, UTF-8 with a byte order mark: one row per movement, opening and closing rows.",
    "PDF": "A printable A4 document (Chinese text embedded).",
})


@strawberry.input(description="The period and format of a statement. A period covers at most 366 days.")
class ExportStatementInput:
    period_from: datetime = strawberry.field(name="from", description="First instant included, with its offset.")
    period_to: datetime = strawberry.field(name="to", description="First instant excluded, with its offset; a "
                                                                  "moment in the future is taken as now.")
    format: StatementFormat = strawberry.field(description="CSV or PDF.")


@strawberry.type(description="A signed statement: fetch the file at `downloadUrl`, then check it against "
                             "`signature` with the key `keyId` published at /.well-known/imwallet-statement-keys.")
class Statement:
    download_url: str = strawberry.field(description="Path of the file on this server (GET, no credentials "
                                                     "needed), valid until `downloadExpiresAt`.")
    download_expires_at: datetime = strawberry.field(description="When `downloadUrl` stops working; export again "
                                                                 "for a new one.")
    signature: str = strawberry.field(description="Detached Ed25519 signature (base64) of `imwallet statement v1\\n` "
                                                  "followed by `sha256`.")
    key_id: str = strawberry.field(description="Which published statement key made `signature`.")
    sha256: str = strawberry.field(description="SHA-256 of the file, lower-case hex.")
    size_bytes: int = strawberry.field(description="Size of the file in bytes.")
    format: StatementFormat = strawberry.field(description="The file's format.")
    period_from: datetime = strawberry.field(name="from", description="First instant covered.")
    period_to: datetime = strawberry.field(name="to", description="First instant not covered (clamped to the "
                                                                  "export's moment).")
    opening_balance: Money = strawberry.field(description="The balance at `from`, from the ledger.")
    closing_balance: Money = strawberry.field(description="The balance at `to`: opening plus every movement.")
    money_in: Money = strawberry.field(description="The sum of the period's credits.")
    money_out: Money = strawberry.field(description="The sum of the period's debits, as a positive amount.")
    movement_count: int = strawberry.field(description="How many movements the statement lists.")

    @classmethod
    def of(cls, issued: service.Issued) -> Statement:
        h, t = issued.generated.heading, issued.generated.heading.totals
        return cls(download_url=f"/statements/{issued.token}", download_expires_at=issued.expires_at,
                   signature=issued.signed.signature, key_id=issued.signed.key_id, sha256=issued.sha256_hex,
                   size_bytes=issued.size_bytes, format=issued.generated.fmt, period_from=h.start, period_to=h.end,
                   opening_balance=Money.of(t.opening_minor, h.currency),
                   closing_balance=Money.of(t.closing_minor, h.currency),
                   money_in=Money.of(t.money_in_minor, h.currency), money_out=Money.of(t.money_out_minor, h.currency),
                   movement_count=t.movement_count)


ExportStatementResult = Annotated[
    Statement | InvalidInputError | VerificationRequiredError | NotAuthenticatedError | RateLimitedError
    | TemporarilyUnavailableError,
    strawberry.union("ExportStatementResult", description="`exportStatement`'s answer: the signed statement, or an "
                                                          "error to handle.")]


@strawberry.type
class StatementMutation:
    @strawberry.mutation(description="A signed statement of your wallet over a period: every movement with the "
                                     "balance after it, opening and closing balances, as CSV or PDF. With a "
                                     "merchant key: the merchant's wallet.")
    @errors_as_data
    async def export_statement(self, info: Info, input: ExportStatementInput) -> ExportStatementResult:
        merchant = info.context.merchant
        if merchant is not None:  # a merchant key: the statement of the merchant's own wallet
            issued = await service.export(info.context.rt, merchant.account_id, input.period_from, input.period_to,
                                          input.format, holder=merchant.name)
            return Statement.of(issued)
        viewer = info.context.require_viewer()
        issued = await service.export_for_user(info.context.rt, viewer, input.period_from, input.period_to,
                                               input.format)
        return Statement.of(issued)
