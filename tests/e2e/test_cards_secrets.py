"""The CVV and the full card number are never kept, logged, queued or echoed: looked for everywhere."""

from __future__ import annotations

import logging
import re

import pytest
from tortoise import Tortoise

from app.security.keyed import Keyring
from models import OutboundMessage
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import MailSink, SmsSink

# (number as typed, CVV, expected outcome)
CARDS = [
    ("4242 4242 4242 4242", "731", "CardBindingStarted"),
    ("3714-496353-98431", "8462", "CardBindingStarted"),
    ("2223003122003222", "594", "CardBindingStarted"),
    ("6200000000000005", "318", "CardBindingStarted"),
    ("4000000000000002", "926", "CardDeclinedError"),
    ("4242424242424241", "657", "InvalidInputError"),
]


async def _all_text_values() -> list[str]:
    """Every text, varchar and JSON value in every table of the database."""
    conn = Tortoise.get_connection("default")
    values: list[str] = []
    if conn.capabilities.dialect == "postgres":
        columns = await conn.execute_query_dict(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')")
        pairs = [(c["table_name"], c["column_name"]) for c in columns]
    else:
        tables = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
        pairs = []
        for t in tables:
            info = await conn.execute_query_dict(f"PRAGMA table_info(\"{t['name']}\")")
            pairs += [(t["name"], c["name"]) for c in info if re.search("CHAR|TEXT|JSON|CLOB", c["type"].upper())]
    for table, column in pairs:
        rows = await conn.execute_query_dict(f'SELECT "{column}" AS v FROM "{table}"')  # noqa: S608
        values += [str(r["v"]) for r in rows if r["v"] is not None]
    return values


def _leaks(texts: list[str], number: str, cvv: str) -> list[str]:
    digits = number.replace(" ", "").replace("-", "")
    # A CVV is a few digits: look for it standing alone, not inside hex digests or longer numbers.
    alone = re.compile(rf"(?<![0-9A-Za-z]){cvv}(?![0-9A-Za-z])")
    return [t for t in texts if digits in t or number in t or alone.search(t)]


@pytest.mark.usefixtures("mail_sink")
async def test_card_secrets_appear_nowhere(client: GraphQLClient, sms_sink: SmsSink, mail_sink: MailSink,
                                           server: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    who = await wf.wallet_user(client, sms_sink)
    bound = []
    for number, cvv, expected in CARDS:
        before = wf.sms_count(sms_sink, who.phone, wf.BIND_SMS)
        started = await wf.start_binding(who.account, number=number, cvv=cvv)
        assert started["__typename"] == expected, started
        assert number.replace(" ", "").replace("-", "") not in str(started)
        if expected == "CardBindingStarted":
            code = await wf.bank_code(sms_sink, who.phone, before)
            done = await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, {"input": {
                "bindingId": started["card"]["id"], "code": code}})
            assert done["card"]["status"] == "ACTIVE"
            bound.append(done["card"]["id"])
    topped = await wf.top_up(wf.WalletAccount(who.account, bound[0]), "10.00")
    assert topped["__typename"] == "TransferSuccess"

    keyring = Keyring(server.settings.key_bytes)
    outbox = [keyring.unseal(m.body_sealed) for m in await OutboundMessage.all() if m.body_sealed]
    logs = [r.getMessage() for r in caplog.records] + [caplog.text]
    sms = [m["text"] for m in sms_sink.messages]
    mail = [str(m) for m in mail_sink.messages]
    stored = await _all_text_values()
    assert len(stored) > 100  # the haystacks are real: every row's text, every log record
    assert len(logs) > 10
    for number, cvv, _ in CARDS:
        for where, texts in (("database", stored), ("logs", logs), ("outbox", outbox), ("sms", sms),
                             ("mail", mail)):
            assert _leaks(texts, number, cvv) == [], (where, number)
    for card_id in bound:  # free the published numbers for other tests
        await wf.remove_card(who, card_id)
