"""submitIdentity over HTTP: checks, one document per person, and what the wallet still needs."""

from __future__ import annotations

from collections.abc import Callable

from models import Identity, User
from tests.support import flows
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

MakeClient = Callable[..., GraphQLClient]


async def _submit(account: flows.Account, doc_type: str, number: str, birth: str,
                  name: str = "王小明") -> dict[str, object]:
    return await account.client.mutate("submitIdentity", flows.SUBMIT_IDENTITY, {"input": {
        "realName": name, "documentType": doc_type, "documentNumber": number, "dateOfBirth": birth}})


async def _identities(account: flows.Account) -> int:
    return await Identity.filter(user_id=(await User.get(phone=account.phone)).id).count()


async def test_document_verified_on_another_account_is_refused(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    first = await flows.register(client, sms_sink)
    second = await flows.register(new_client(), sms_sink)
    number = flows.resident_id("19850512", "321")
    assert (await _submit(first, "RESIDENT_ID", number, "1985-05-12"))["__typename"] == "IdentitySuccess"
    again = await _submit(second, "RESIDENT_ID", number.lower(), "1985-05-12")
    assert again == {"__typename": "IdentityRejectedError", "reason": "DOCUMENT_IN_USE",
                     "code": "IDENTITY_REJECTED", "message": "This document is already verified on another account."}
    assert await _identities(second) == 0


async def test_stored_document_is_only_a_keyed_hash_and_a_masked_form(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    number = flows.resident_id("19920101", "135")
    await _submit(account, "RESIDENT_ID", number, "1992-01-01")
    row = await Identity.get(user_id=(await User.get(phone=account.phone)).id)
    assert row.document_masked == number[0] + "*" * 16 + number[-1]
    assert len(row.document_hash) == 64
    assert number not in row.document_hash
    assert number[1:-1] not in repr(row.__dict__)


async def test_second_submission_on_the_same_account_is_refused(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    assert (await flows.verify_identity(account))["__typename"] == "IdentitySuccess"
    again = await _submit(account, "PASSPORT", "E12345678", "1990-03-07")
    assert again["__typename"] == "AlreadyExistsError"
    assert await _identities(account) == 1


async def test_passport_by_pattern(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    bad = await account.client.mutate("submitIdentity", """mutation($input: SubmitIdentityInput!) {
      submitIdentity(input: $input) { __typename ... on InvalidInputError { fields { field message } } } }""",
                                      {"input": {"realName": "Li Lei", "documentType": "PASSPORT",
                                                 "documentNumber": "12345678", "dateOfBirth": "1990-03-07"}})
    assert bad == {"__typename": "InvalidInputError", "fields": [
        {"field": "documentNumber", "message": "is not a passport number (a letter and 5 to 8 letters or digits)"}]}
    assert await _identities(account) == 0
    number = f"E{account.phone[-8:]}"
    good = await _submit(account, "PASSPORT", number.lower(), "1990-03-07", name="Li Lei")
    assert good["__typename"] == "IdentitySuccess"
    assert good["identity"]["documentNumberMasked"] == "E*******" + number[-1]  # type: ignore[index]


async def test_birth_date_that_does_not_match_the_number_is_rejected(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    result = await _submit(account, "RESIDENT_ID", flows.resident_id("19900307"), "1990-03-08")
    assert result["reason"] == "BIRTH_DATE_MISMATCH"
    assert await _identities(account) == 0


async def test_signed_out_caller_cannot_submit(new_client: MakeClient) -> None:
    result = await new_client().mutate("submitIdentity", flows.SUBMIT_IDENTITY, {"input": {
        "realName": "王小明", "documentType": "RESIDENT_ID", "documentNumber": flows.resident_id("19900307"),
        "dateOfBirth": "1990-03-07"}})
    assert result == {"__typename": "NotAuthenticatedError", "code": "NOT_AUTHENTICATED", "message": "Sign in first."}


async def test_me_shows_verification_state_and_wallet_requirements(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    query = "{ me { identity { documentType } walletRequirements { name } } }"
    assert (await client.gql(query))["me"] == {
        "identity": None, "walletRequirements": [{"name": "IDENTITY"}, {"name": "PAYMENT_PIN"}]}
    await flows.verify_identity(account)
    assert (await client.gql(query))["me"] == {
        "identity": {"documentType": "RESIDENT_ID"}, "walletRequirements": [{"name": "PAYMENT_PIN"}]}
