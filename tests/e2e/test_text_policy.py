"""Unicode policy for text others read (NFC; no bidi controls, no zero-width characters outside emoji),
and a plausible birth date on documents that carry no check of their own."""

from __future__ import annotations

import random

import pytest

from models import Transfer, User
from tests.support import flows
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient, fresh_phone
from tests.support.sinks import SmsSink

SUBMIT = flows.SUBMIT_IDENTITY.replace(
    "... on Error { code message }",
    "... on Error { code message } ... on InvalidInputError { fields { field message } }")


@pytest.mark.parametrize(("name", "complaint"), [
    ("Ali\u200bce", "contains an invisible (zero-width) character"),
    ("Bob\ufeff", "contains an invisible (zero-width) character"),
    ("a\u200db", "contains an invisible (zero-width) character"),
    ("Eve\u202egnp.exe", "contains a text-direction control character"),
    ("\u2067Mallory", "contains a text-direction control character"),
])
async def test_display_names_refuse_invisible_and_direction_characters(
        name: str, complaint: str, client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    result = await client.mutate("register", flows.REGISTER, {"input": {
        "phone": phone, "code": code, "password": flows.PASSWORD, "displayName": name}})
    assert result == {"__typename": "InvalidInputError", "code": "INVALID_INPUT",
                      "message": f"displayName: {complaint}",
                      "fields": [{"field": "displayName", "message": complaint}]}
    assert not await User.filter(phone=phone).exists()


async def test_names_are_stored_in_nfc_and_emoji_keep_their_joiners(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink, name="Jose\u0301 \U0001F468\u200d\U0001F469\u200d\U0001F467")
    user = await User.get(phone=account.phone)
    assert user.display_name == "Jos\u00e9 \U0001F468\u200d\U0001F469\u200d\U0001F467"


async def test_a_memo_with_a_direction_override_moves_no_money(
        client: GraphQLClient, new_client: object, sms_sink: SmsSink) -> None:
    payer = await wf.funded_user(client, sms_sink, "10.00")
    payee = await wf.wallet_user(new_client(), sms_sink, name="Bob")  # type: ignore[operator]
    before = await Transfer.all().count()
    result = await wf.send(payer, payee, amount="1.00", memo="rent \u202e0001")
    assert result["__typename"] == "InvalidInputError"
    assert result["fields"] == [{"field": "memo", "message": "contains a text-direction control character"}]
    assert await Transfer.all().count() == before
    assert await wf.balance(payer) == "10.00"


@pytest.mark.parametrize("born", ["0001-01-01", "1850-06-30"])
async def test_a_passport_holder_cannot_claim_an_implausible_birth_date(
        born: str, client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    number = "E" + "".join(random.choice("0123456789") for _ in range(8))
    result = await account.client.mutate("submitIdentity", SUBMIT, {"input": {
        "realName": "Li Lei", "documentType": "PASSPORT", "documentNumber": number, "dateOfBirth": born}})
    assert result["__typename"] == "InvalidInputError"
    assert result["fields"] == [{"field": "dateOfBirth", "message": "is more than 130 years ago"}]
