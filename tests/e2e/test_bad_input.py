"""Bad input of every kind gets a typed error or a GraphQL request error, never a 500, and changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from models import Identity, Session, User, VerificationCode
from tests.support import flows
from tests.support.client import GraphQLClient, fresh_phone
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

GQL_JSON = "application/graphql-response+json"
REGISTER_FIELDS = """mutation($input: RegisterInput!) { register(input: $input) {
  __typename ... on InvalidInputError { fields { field message } } ... on InvalidCodeError { attemptsLeft } } }"""


@dataclass
class Pending:
    """A phone with a live REGISTER code: bad registrations must leave both untouched."""

    phone: str
    code: str

    def input(self, **changes: object) -> dict[str, object]:
        values: dict[str, object] = {"phone": self.phone, "code": self.code, "password": flows.PASSWORD,
                                     "displayName": "Chen"}
        values.update(changes)
        return {"input": values}


@pytest_asyncio.fixture
async def pending(client: GraphQLClient, sms_sink: SmsSink) -> AsyncIterator[Pending]:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    users, sessions = await User.all().count(), await Session.all().count()
    yield Pending(phone, code)
    # Then: nothing changed, and the code is still good for a proper registration
    assert (await User.all().count(), await Session.all().count()) == (users, sessions)
    assert (await VerificationCode.get(destination=phone)).attempts == 0
    ok = await client.mutate("register", flows.REGISTER, Pending(phone, code).input())
    assert ok["__typename"] == "SessionPayload"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"phone": "１３８００１３８０００"}, "phone", "is not a phone number"),
    ({"phone": "١٣٨٠٠١٣٨٠٠٠"}, "phone", "is not a phone number"),
    ({"phone": "9" * 30_000}, "phone", "is not a phone number"),
    ({"code": "１２３４５６"}, "code", "must be exactly 6 digits 0-9"),
    ({"code": "١٢٣٤٥٦"}, "code", "must be exactly 6 digits 0-9"),
    ({"code": "12345"}, "code", "must be exactly 6 digits 0-9"),
    ({"code": " 123456"}, "code", "must be exactly 6 digits 0-9"),
    ({"displayName": "x" * 60_000}, "displayName", "is longer than 64 characters"),
    ({"displayName": "   "}, "displayName", "is required"),
    ({"displayName": "bell\x07"}, "displayName", "contains a control character"),
    ({"password": "p" * 10_000}, "password", "must be 8 to 128 characters"),
    ({"email": "not-an-address"}, "email", "is not a valid email address"),
    ({"email": "a@" + "b" * 300 + ".com"}, "email", "is longer than 254 characters"),
])
async def test_bad_fields_get_a_typed_error_naming_the_field(
        client: GraphQLClient, pending: Pending, changes: dict[str, object], field: str, message: str) -> None:
    result = await client.mutate("register", REGISTER_FIELDS, pending.input(**changes))
    assert result == {"__typename": "InvalidInputError", "fields": [{"field": field, "message": message}]}


@pytest.mark.parametrize("bad", ["Chen\x00", "Chen\ud800", "\udfff"])
@pytest.mark.parametrize("accept", [GQL_JSON, "application/json"])
async def test_nul_and_lone_surrogates_in_variables_are_request_errors(
        client: GraphQLClient, server: RunningServer, pending: Pending, bad: str, accept: str) -> None:
    # json.dumps escapes both, as a browser's JSON.stringify would
    body = json.dumps({"query": REGISTER_FIELDS, "variables": pending.input(displayName=bad)})
    response = await client.http.post(f"{server.base_url}/graphql", content=body,
                                      headers={**client.headers(), "content-type": "application/json",
                                               "accept": accept})
    assert response.status_code == 400
    assert response.json() == {"errors": [{
        "message": "The request contains a NUL byte or an unpaired surrogate.",
        "extensions": {"code": "BAD_USER_INPUT"}}]}


async def test_nul_in_a_literal_string_fails_validation(client: GraphQLClient, pending: Pending) -> None:
    query = (f'mutation {{ register(input: {{phone: "{pending.phone}", code: "{pending.code}", '
             f'password: "{flows.PASSWORD}", displayName: "A\\u0000B"}}) {{ __typename }} }}')
    response = await client.post(query, headers={"accept": GQL_JSON})
    assert response.status_code == 400
    assert [(e["message"], e["extensions"]) for e in response.json()["errors"]] == [
        ("A string contains a NUL byte or an unpaired surrogate.", {"code": "BAD_USER_INPUT"})]


@pytest.mark.parametrize("changes", [
    {"code": 123456},
    {"phone": ["13800138000"]},
    {"displayName": {"first": "Chen"}},
    {"password": None},
    {"code": 12.5},
])
async def test_wrong_types_are_request_errors(client: GraphQLClient, pending: Pending, changes: dict[str, object]
                                              ) -> None:
    response = await client.post(REGISTER_FIELDS, pending.input(**changes), headers={"accept": GQL_JSON})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Variable '$input' has invalid value")


@pytest.mark.parametrize(("birth", "doc_type"), [
    ("1990-02-30", "RESIDENT_ID"), ("30/02/1990", "RESIDENT_ID"), ("", "RESIDENT_ID"), ("1990-03-07", "LICENCE"),
])
async def test_impossible_dates_and_unknown_document_types_are_request_errors(
        client: GraphQLClient, sms_sink: SmsSink, birth: str, doc_type: str) -> None:
    account = await flows.register(client, sms_sink)
    response = await client.post(flows.SUBMIT_IDENTITY, {"input": {
        "realName": "王小明", "documentType": doc_type, "documentNumber": flows.resident_id("19900307"),
        "dateOfBirth": birth}}, headers={"accept": GQL_JSON})
    assert response.status_code == 400
    assert "data" not in response.json()
    assert await Identity.filter(user_id=(await User.get(phone=account.phone)).id).count() == 0


@pytest.mark.parametrize(("number", "field"), [
    ("１１０１０５１９９００３０７１２３Ｘ", "documentNumber"),
    ("11010519900307\x7f23X", "documentNumber"),
    ("1" * 20_000, "documentNumber"),
])
async def test_bad_document_numbers_are_typed_errors(client: GraphQLClient, sms_sink: SmsSink, number: str,
                                                     field: str) -> None:
    account = await flows.register(client, sms_sink)
    result = await client.mutate("submitIdentity", """mutation($input: SubmitIdentityInput!) { submitIdentity(
        input: $input) { __typename ... on InvalidInputError { fields { field } } } }""", {"input": {
        "realName": "王小明", "documentType": "RESIDENT_ID", "documentNumber": number, "dateOfBirth": "1990-03-07"}})
    assert result == {"__typename": "InvalidInputError", "fields": [{"field": field}]}
    assert await Identity.filter(user_id=(await User.get(phone=account.phone)).id).count() == 0


@pytest.mark.parametrize("authorization", [b"Bearer " + b"x" * 5000, "Bearer é✓".encode(), b"Bearer", b"bearer  x",
                                           b"Basic dXNlcjpwYXNz"])
async def test_garbage_bearer_tokens_are_simply_signed_out(client: GraphQLClient, server: RunningServer,
                                                            authorization: bytes) -> None:
    response = await client.http.post(f"{server.base_url}/graphql", json={"query": "{ me { id } }"},
                                      headers={"authorization": authorization})  # type: ignore[dict-item]
    assert (response.status_code, response.json()) == (200, {"data": {"me": None}})


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_non_standard_json_numbers_are_refused(client: GraphQLClient, server: RunningServer,
                                                     constant: str) -> None:
    body = f'{{"query": "{{ __typename }}", "variables": {{"x": {constant}}}}}'
    response = await client.http.post(f"{server.base_url}/graphql", content=body,
                                      headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
