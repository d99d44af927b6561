"""Signed statements end to end: export over GraphQL, download over HTTP, reconcile, verify."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pypdf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.support import wallet_flows
from tests.support.client import GraphQLClient
from tests.support.flows import PASSWORD
from tests.support.refunds import refund
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.statements import KEYS_PATH, csv_rows, download, export
from tests.support.time_travel import travelling
from tests.support.wallet_flows import WalletAccount, balance

IMWALLET = os.path.join(os.path.dirname(sys.executable), "imwallet")
DELETE_ACCOUNT = """mutation($input: DeleteAccountInput!) { deleteAccount(input: $input) { __typename
  ... on Error { code message } } }"""
RECORDS = "{ wallet { transactions(first: 20) { edges { node { kind amount { amount } createdAt } } } } }"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def now() -> datetime:
    return datetime.now(UTC)


async def published_keys(server: RunningServer) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.get(server.base_url + KEYS_PATH)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def verifies(keys: dict[str, Any], key_id: str, signature: str, body: bytes) -> bool:
    """Checked with `cryptography` alone, as a client's own code would."""
    (key,) = [k for k in keys["keys"] if k["keyId"] == key_id]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["publicKey"]))
    try:
        public.verify(base64.b64decode(signature),
                      b"imwallet statement v1\n" + hashlib.sha256(body).hexdigest().encode())
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


async def cli_verify(path: Path, *args: str, env: dict[str, str] | None = None) -> Done:
    """`imwallet verify-statement` as its own process (the server in this loop keeps answering it)."""
    proc = await asyncio.create_subprocess_exec(IMWALLET, "verify-statement", str(path), *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return Done(int(proc.returncode or 0), out.decode(), err.decode())


async def a_month_of_money(new_client: Callable[..., GraphQLClient], sms_sink: SmsSink
                           ) -> tuple[WalletAccount, WalletAccount]:
    """Alice: a top-up of 100.00, 30.00 to 张伟, 12.50 back from him, 5.00 of hers refunded by him."""
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    zhang = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="张伟")
    sent = await wallet_flows.send(alice, zhang, amount="30.00", memo="午饭 lunch")
    assert sent["__typename"] == "TransferSuccess", sent
    back = await wallet_flows.send(zhang, alice, amount="12.50", memo="=还钱")
    assert back["__typename"] == "TransferSuccess", back
    refunded = await refund(zhang, sent["transfer"]["id"], "5.00", reason="多付了")
    assert refunded["__typename"] == "RefundSuccess", refunded
    return alice, zhang


async def test_a_csv_statement_reconciles_with_the_ledger_and_verifies(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink, tmp_path: Path) -> None:
    alice, _ = await a_month_of_money(new_client, sms_sink)
    asked_to = now() + timedelta(hours=1)

    statement = await export(alice.client, iso(now() - timedelta(days=30)), iso(asked_to))

    assert statement["__typename"] == "Statement", statement
    assert (statement["format"], statement["openingBalance"], statement["closingBalance"], statement["moneyIn"],
            statement["moneyOut"], statement["movementCount"]) == (
        "CSV", {"amount": "0.00", "currency": "CNY"}, {"amount": "87.50"}, {"amount": "117.50"},
        {"amount": "30.00"}, 4)
    assert datetime.fromisoformat(statement["to"]) < asked_to  # clamped to the moment of export
    assert statement["closingBalance"]["amount"] == await balance(alice)

    response = await download(server.base_url, statement)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    body = response.content
    assert (hashlib.sha256(body).hexdigest(), len(body)) == (statement["sha256"], statement["sizeBytes"])
    assert response.headers["x-statement-sha256"] == statement["sha256"]
    rows = csv_rows(body)
    assert [(r["kind"], r["direction"], r["counterparty"], r["memo"], r["amount"], r["balance_after"])
            for r in rows] == [
        ("OPENING_BALANCE", "", "Alice", rows[0]["memo"], "", "0.00"),
        ("TOP_UP", "TOP_UP", rows[1]["counterparty"], "", "100.00", "100.00"),
        ("TRANSFER", "SENT", "张伟", "午饭 lunch", "-30.00", "70.00"),
        ("TRANSFER", "RECEIVED", "张伟", "'=还钱", "12.50", "82.50"),   # a formula is never run by a spreadsheet
        ("REFUND", "REFUND", "张伟", "多付了", "5.00", "87.50"),
        ("CLOSING_BALANCE", "", "", "", "87.50", "87.50")]
    assert rows[1]["counterparty"].startswith("VISA ••")
    movements = rows[1:-1]
    assert sum(Decimal(r["amount"]) for r in movements) + Decimal(rows[0]["balance_after"]) == \
        Decimal(rows[-1]["balance_after"]) == Decimal(await balance(alice))
    assert [datetime.fromisoformat(r["date"]) for r in movements] == sorted(
        datetime.fromisoformat(r["date"]) for r in movements)

    keys = await published_keys(server)
    current = [k["keyId"] for k in keys["keys"] if k["current"]]
    assert current == [statement["keyId"]]
    assert verifies(keys, statement["keyId"], statement["signature"], body)
    tampered = bytearray(body)
    tampered[len(body) // 2] ^= 0x01
    assert not verifies(keys, statement["keyId"], statement["signature"], bytes(tampered))

    path = tmp_path / "statement.csv"
    path.write_bytes(body)
    (tmp_path / "statement.csv.sig").write_text(json.dumps({"keyId": statement["keyId"],
                                                            "signature": statement["signature"]}))
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    good = await cli_verify(path, "--keys", server.base_url + KEYS_PATH)
    assert (good.returncode, good.stdout.strip()) == (0, f"valid, key id {statement['keyId']}"), good.stderr
    bare = await cli_verify(path, "--signature", statement["signature"], "--keys", str(tmp_path / "keys.json"))
    assert (bare.returncode, bare.stdout.strip()) == (0, f"valid, key id {statement['keyId']}"), bare.stderr
    secret = server.settings.secret_key
    assert secret is not None
    on_the_host = await cli_verify(path, env={**os.environ, "IMWALLET_ENV": "test", "DATA_DIR": str(tmp_path),
                                              "SECRET_KEY": secret.get_secret_value()})
    assert (on_the_host.returncode, on_the_host.stdout.strip()) == (0, f"valid, key id {statement['keyId']}"), \
        on_the_host.stderr
    path.write_bytes(bytes(tampered))
    bad = await cli_verify(path, "--keys", str(tmp_path / "keys.json"))
    assert (bad.returncode, bad.stdout.split(":")[0]) == (1, "INVALID"), bad.stderr


async def test_a_pdf_statement_embeds_chinese_text_is_deterministic_and_verifies(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink, tmp_path: Path) -> None:
    alice, _ = await a_month_of_money(new_client, sms_sink)

    statement = await export(alice.client, iso(now() - timedelta(days=1)), iso(now()), "PDF")

    assert statement["__typename"] == "Statement", statement
    assert (statement["format"], statement["closingBalance"], statement["movementCount"]) == (
        "PDF", {"amount": "87.50"}, 4)
    first, second = await download(server.base_url, statement), await download(server.base_url, statement)
    assert (first.status_code, first.headers["content-type"]) == (200, "application/pdf")
    body = first.content
    assert body == second.content  # regenerated from the ledger, byte for byte
    assert (body[:5], body.rstrip()[-5:]) == (b"%PDF-", b"%%EOF")
    assert hashlib.sha256(body).hexdigest() == statement["sha256"]
    reader = pypdf.PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\x00", "")
    for expected in ("张伟", "午饭lunch", "多付了", "期末余额", "87.50", statement["keyId"]):
        assert expected in text, expected
    fonts = {str(f["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].get_object().values()}
    assert any("NotoSansSC" in f for f in fonts), fonts
    assert verifies(await published_keys(server), statement["keyId"], statement["signature"], body)

    path = tmp_path / "statement.pdf"
    path.write_bytes(body)
    (tmp_path / "statement.pdf.sig").write_text(json.dumps({"keyId": statement["keyId"],
                                                            "signature": statement["signature"]}))
    assert (await cli_verify(path, "--keys", server.base_url + KEYS_PATH)).returncode == 0
    path.write_bytes(body[:100] + bytes([body[100] ^ 0x20]) + body[101:])
    assert (await cli_verify(path, "--keys", server.base_url + KEYS_PATH)).returncode == 1


async def test_a_movement_at_from_is_in_and_one_at_to_is_out(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, zhang = await a_month_of_money(new_client, sms_sink)
    records = await alice.client.gql(RECORDS)
    # newest first: REFUND, RECEIVED, SENT, TOP_UP
    times = [e["node"]["createdAt"] for e in records["wallet"]["transactions"]["edges"]]
    sent_at, received_at = times[2], times[1]

    inside = await export(alice.client, sent_at, received_at)

    assert inside["__typename"] == "Statement", inside
    assert (inside["openingBalance"], inside["closingBalance"], inside["movementCount"]) == (
        {"amount": "100.00", "currency": "CNY"}, {"amount": "70.00"}, 1)
    rows = csv_rows((await download(server.base_url, inside)).content)
    assert [(r["direction"], r["amount"]) for r in rows[1:-1]] == [("SENT", "-30.00")]
    assert datetime.fromisoformat(rows[1]["date"]) == datetime.fromisoformat(sent_at)

    with travelling(server) as clock:
        clock.advance(timedelta(days=2))  # a `to` a day ahead of the wall clock is in the past now
        later = await export(alice.client, received_at, iso(now() + timedelta(days=1)))
    assert later["__typename"] == "Statement", later
    assert datetime.fromisoformat(later["to"]) - now() > timedelta(hours=23)  # not clamped
    assert (later["openingBalance"]["amount"], later["movementCount"], later["closingBalance"]["amount"]) == (
        "70.00", 2, "87.50")
    empty = await export(zhang.client, iso(now() - timedelta(days=300)), iso(now() - timedelta(days=200)))
    assert (empty["openingBalance"]["amount"], empty["movementCount"], empty["closingBalance"]["amount"]) == (
        "0.00", 0, "0.00")
    assert [r["kind"] for r in csv_rows((await download(server.base_url, empty)).content)] == [
        "OPENING_BALANCE", "CLOSING_BALANCE"]


async def test_bad_periods_and_formats_are_refused_with_typed_errors(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "10.00", name="Alice")
    start = now() - timedelta(days=400)

    answers = [await export(alice.client, iso(start + timedelta(days=2)), iso(start + timedelta(days=1))),
               await export(alice.client, iso(start), iso(start + timedelta(days=367))),
               await export(alice.client, "2026-01-01T00:00:00", iso(now())),
               await export(alice.client, iso(now() + timedelta(days=1)), iso(now() + timedelta(days=2))),
               await export(alice.client, "0001-01-01T00:00:00+14:00", "0001-01-01T05:00:00+14:00")]

    assert [(a["__typename"], [f["field"] for f in a["fields"]]) for a in answers] == [
        ("InvalidInputError", ["to"]), ("InvalidInputError", ["to"]), ("InvalidInputError", ["from"]),
        ("InvalidInputError", ["from"]), ("InvalidInputError", ["from"])]
    year = await export(alice.client, iso(start), iso(start + timedelta(days=366)))
    assert year["__typename"] == "Statement"
    unknown = await alice.client.post(
        "mutation { exportStatement(input: {from: \"2026-01-01T00:00:00Z\", to: \"2026-02-01T00:00:00Z\", "
        "format: DOCX}) { __typename } }")
    body = unknown.json()  # refused by the schema itself, before any resolver runs
    assert body.get("data") is None, body
    assert "StatementFormat" in body["errors"][0]["message"], body
    no_wallet = await export((await wallet_flows.verified_account(new_client(), sms_sink)).client,
                             iso(start), iso(now()))
    assert (no_wallet["__typename"], no_wallet["missing"]) == ("VerificationRequiredError", [{"name": "WALLET"}])
    anonymous = await export(new_client(), iso(start), iso(now()))
    assert anonymous["__typename"] == "NotAuthenticatedError"


async def test_a_download_link_expires_and_opens_only_its_own_statement(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, zhang = await a_month_of_money(new_client, sms_sink)
    mine = await export(alice.client, iso(now() - timedelta(days=1)), iso(now()))
    theirs = await export(zhang.client, iso(now() - timedelta(days=1)), iso(now()))
    token = mine["downloadUrl"].removeprefix("/statements/")
    payload, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = base64.urlsafe_b64encode(json.dumps(
        {**claims, "a": claims["a"] + 1}, separators=(",", ":")).encode()).decode().rstrip("=")
    their_mac = theirs["downloadUrl"].rsplit(".", 1)[1]

    async with httpx.AsyncClient() as http:
        forged = await http.get(f"{server.base_url}/statements/{forged_payload}.{mac}")
        swapped = await http.get(f"{server.base_url}/statements/{payload}.{their_mac}")
        garbage = await http.get(f"{server.base_url}/statements/not-a-token")
        fresh = await http.get(server.base_url + mine["downloadUrl"])
        with travelling(server) as clock:
            clock.advance(timedelta(minutes=11))
            expired = await http.get(server.base_url + mine["downloadUrl"])

    assert [r.status_code for r in (forged, swapped, garbage, fresh, expired)] == [404, 404, 404, 200, 410]
    assert csv_rows(fresh.content)[0]["counterparty"] == "Alice"
    assert b"Alice" not in forged.content + swapped.content


async def test_a_download_that_no_longer_matches_its_signature_is_cut_short(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "10.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    assert (await wallet_flows.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"
    assert (await wallet_flows.send(bob, alice, amount="1.00"))["__typename"] == "TransferSuccess"
    statement = await export(alice.client, iso(now() - timedelta(days=1)), iso(now()))
    assert [r["counterparty"] for r in csv_rows((await download(server.base_url, statement)).content)][2:4] == [
        "Bob", "Bob"]

    deleted = await bob.client.mutate("deleteAccount", DELETE_ACCOUNT, {"input": {"password": PASSWORD}})
    assert deleted["__typename"] == "AccountDeleted", deleted

    # Bob's name in Alice's statement is now the deleted account's: the same link cannot give the
    # signed bytes, so the response ends before its last chunk rather than look complete.
    try:
        cut = await download(server.base_url, statement)
    except httpx.RemoteProtocolError:
        return
    raise AssertionError(f"a complete response of {len(cut.content)} bytes that does not match its signature")
