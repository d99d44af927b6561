"""The server secret across restarts: kept in the data folder in development, rotated in production.

Each server here is `imwallet serve` in its own process (what `make run` starts), on a database of
this module's own: what these servers seal under their keys is for them alone to open.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio

from app.security.keyed import key_id
from app.settings import Settings
from tests.support import databases, flows
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.worker_server import client_factory, worker_server

KEY_A, KEY_B = "rotation-key-a-" + "a" * 32, "rotation-key-b-" + "b" * 32


async def _person(client: GraphQLClient, sms: SmsSink, *, name: str) -> tuple[wf.WalletAccount, str]:
    """Identity, PIN and an open wallet; returns the account and its document number."""
    account = await flows.register(client, sms, name=name)
    birth = wf.unique_birth()
    assert (await flows.verify_identity(account, real_name=wf.REAL_NAME, birth=birth, seq="517")
            )["__typename"] == "IdentitySuccess"
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    assert (await wf.open_wallet(account))["__typename"] == "WalletSuccess"
    return wf.WalletAccount(account), flows.resident_id(birth, "517")


@pytest_asyncio.fixture(scope="module")
async def own(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """The test settings on a fresh database (`imwallet serve` migrates it when it starts)."""
    if databases.backend() == "sqlite":
        yield settings.model_copy(update={"database_url": databases.sqlite_url(tmp_path_factory.mktemp("own"))})
        return
    name, url = await databases.create_postgres_database()
    try:
        yield settings.model_copy(update={"database_url": url})
    finally:
        await databases.drop_postgres_database(name)


async def _identity_row(database_url: str, user_id: int) -> tuple[str, str]:
    """(document_key_id, document_hash) of a user, read from that database directly."""
    query = "SELECT document_key_id, document_hash FROM identities WHERE user_id = "
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://")) as db:
            row = db.execute(query + "?", (user_id,)).fetchone()
            return str(row[0]), str(row[1])
    conn = await asyncpg.connect(database_url.split("?")[0])
    try:
        record = await conn.fetchrow(query + "$1", user_id)
        return str(record[0]), str(record[1])
    finally:
        await conn.close()


def _again(client: GraphQLClient, who: wf.WalletAccount) -> wf.WalletAccount:
    """The same person, signed in with the same session, on another server."""
    account = flows.Account(client=client, phone=who.phone, user_id=who.user_id, token=who.account.token)
    client.token = account.token
    return wf.WalletAccount(account)


async def _reset_pin(server: RunningServer, sms: SmsSink, who: wf.WalletAccount, document: str) -> dict[str, object]:
    # The one-a-minute resend window since the sign-up code (Redis limits outlive the process).
    await server.runtime.limiter.clear(f"code-dest-min:{who.phone}", 1, server.settings.code_resend_seconds)
    code = await flows.request_sms_code(who.client, sms, who.phone, "RESET_PIN")
    return await who.client.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": code, "documentNumber": document, "newPin": wf.OTHER_PIN}})


async def test_a_restart_keeps_every_pin_and_document_valid(  # type: ignore[no-untyped-def]
        server: RunningServer, own: Settings, sms_sink: SmsSink, tmp_path: Path) -> None:
    development = {"SECRET_KEY": "", "DATA_DIR": str(tmp_path / ".imwallet")}  # no SECRET_KEY, as `make run`
    async with worker_server(own, workers=1, **development) as first, client_factory(first) as make:
        alice, document = await _person(make(), sms_sink, name="Alice")
    key_file = tmp_path / ".imwallet" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    made = key_file.read_bytes()

    async with worker_server(own, workers=1, **development) as second, client_factory(second) as make:
        again = _again(make(), alice)
        started = await wf.start_binding(again.account)  # the PIN set before the restart
        assert started["__typename"] == "CardBindingStarted", started
        await wf.wait_sms(sms_sink, alice.phone, wf.BIND_SMS, 1)  # before asking for the next code
        assert await _reset_pin(server, sms_sink, again, document) == {"__typename": "PinSuccess"}
    assert key_file.read_bytes() == made

    # Control: a server that lost the key (what every restart did before) no longer knows the PIN.
    key_file.unlink()
    async with worker_server(own, workers=1, **development) as third, client_factory(third) as make:
        refused = await wf.start_binding(_again(make(), alice).account, pin=wf.OTHER_PIN)
        assert refused["__typename"] == "InvalidPinError", refused


async def test_a_rotated_key_still_verifies_documents_and_cards_made_under_the_old_one(  # type: ignore[no-untyped-def]
        server: RunningServer, own: Settings, sms_sink: SmsSink) -> None:
    card = wf.fresh_visa()
    async with worker_server(own, workers=1, SECRET_KEY=KEY_A) as before, client_factory(before) as make:
        alice, document = await _person(make(), sms_sink, name="Alice")
        await wf.bind_card(alice, sms_sink, number=card)
    key_before, hash_before = await _identity_row(own.database_url, wf.db_id(alice.user_id))
    assert key_before == key_id(KEY_A.encode())

    rotated = {"SECRET_KEY": KEY_B, "PREVIOUS_SECRET_KEYS": KEY_A}
    async with worker_server(own, workers=1, **rotated) as after, client_factory(after) as make:
        bob = await wf.wallet_user(make(), sms_sink, name="Bob")
        # Found under the old key: the same card and the same document are still taken.
        taken = await wf.start_binding(bob.account, number=card)
        assert taken["__typename"] == "AlreadyExistsError", taken
        carol = await flows.register(make(), sms_sink, name="Carol")
        twin = await carol.client.mutate("submitIdentity", flows.SUBMIT_IDENTITY, {"input": {
            "realName": wf.REAL_NAME, "documentType": "RESIDENT_ID", "documentNumber": document,
            "dateOfBirth": f"{document[6:10]}-{document[10:12]}-{document[12:14]}"}})
        assert twin == {"__typename": "IdentityRejectedError", "reason": "DOCUMENT_IN_USE", "code": "IDENTITY_REJECTED",
                        "message": "This document is already verified on another account."}
        # Verified under the old key, then re-keyed under the new one.
        assert await _reset_pin(server, sms_sink, _again(make(), alice), document) == {"__typename": "PinSuccess"}
    key_after, hash_after = await _identity_row(own.database_url, wf.db_id(alice.user_id))
    assert key_after == key_id(KEY_B.encode())
    assert hash_after != hash_before
