"""Exporting and downloading statements the way a client does: GraphQL, then a plain GET."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from tests.support.client import GraphQLClient

STATEMENT_FIELDS = """downloadUrl downloadExpiresAt signature keyId sha256 sizeBytes format from to
  openingBalance { amount currency } closingBalance { amount } moneyIn { amount } moneyOut { amount } movementCount"""
EXPORT = f"""mutation($input: ExportStatementInput!) {{ exportStatement(input: $input) {{ __typename
  ... on Statement {{ {STATEMENT_FIELDS} }}
  ... on Error {{ code message }}
  ... on InvalidInputError {{ fields {{ field message }} }}
  ... on VerificationRequiredError {{ missing {{ name }} }} }} }}"""
KEYS_PATH = "/.well-known/imwallet-statement-keys"


async def export(client: GraphQLClient, start: str, end: str, fmt: str = "CSV") -> dict[str, Any]:
    return await client.mutate("exportStatement", EXPORT, {"input": {"from": start, "to": end, "format": fmt}})


async def download(base_url: str, statement: dict[str, Any]) -> httpx.Response:
    """GET the file with no credentials, as a browser following the link would."""
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.get(base_url + statement["downloadUrl"])


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
