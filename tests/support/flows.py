"""User journeys through the public API, used to set up data the way a real client would."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support import leaks
from tests.support.client import GraphQLClient, fresh_phone
from tests.support.sinks import SmsSink

PASSWORD = "correct horse battery"

REQUEST_CODE = """
mutation($input: RequestVerificationCodeInput!) {
  requestVerificationCode(input: $input) {
    __typename
    ... on Error { code message }
    ... on RateLimitedError { retryAfterSeconds }
  }
}"""

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on SessionPayload { token expiresAt user { id phone displayName } }
    ... on Error { code message }
    ... on InvalidCodeError { attemptsLeft }
    ... on InvalidInputError { fields { field message } }
  }
}"""

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on SessionPayload { token expiresAt user { id phone } }
    ... on Error { code message }
  }
}"""

SUBMIT_IDENTITY = """
mutation($input: SubmitIdentityInput!) {
  submitIdentity(input: $input) {
    __typename
    ... on IdentitySuccess { identity { realNameMasked documentNumberMasked documentType } }
    ... on IdentityRejectedError { reason }
    ... on Error { code message }
  }
}"""


@dataclass
class Account:
    client: GraphQLClient
    phone: str
    user_id: str
    token: str


async def request_sms_code(client: GraphQLClient, sms: SmsSink, phone: str, purpose: str) -> str:
    before = len(sms.to(phone))
    result = await client.mutate("requestVerificationCode", REQUEST_CODE,
                                 {"input": {"channel": "SMS", "purpose": purpose, "phone": phone}})
    assert result["__typename"] == "CodeRequested", result
    return await sms.code_for(phone, skip=before)


async def register(client: GraphQLClient, sms: SmsSink, *, phone: str | None = None,
                   name: str = "Alice", email: str | None = None) -> Account:
    phone = phone or fresh_phone()
    code = await request_sms_code(client, sms, phone, "REGISTER")
    result = await client.mutate("register", REGISTER, {"input": {
        "phone": phone, "code": code, "password": PASSWORD, "displayName": name, "email": email}})
    assert result["__typename"] == "SessionPayload", result
    client.token = result["token"]
    return Account(client=client, phone=phone, user_id=result["user"]["id"], token=result["token"])


def resident_id(birth: str, seq: str = "123") -> str:
    """A valid 18-character resident ID number for a birth date YYYYMMDD."""
    from stdnum.cn import ric

    body = "110105" + birth + seq
    number = body + ric.calc_check_digit(body + "0")
    leaks.watch(number)
    return number


async def verify_identity(account: Account, *, real_name: str = "王小明", birth: str = "19900307",
                          seq: str | None = None) -> dict[str, object]:
    import random

    number = resident_id(birth, seq or f"{random.randint(0, 999):03d}")
    iso = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
    return await account.client.mutate("submitIdentity", SUBMIT_IDENTITY, {"input": {
        "realName": real_name, "documentType": "RESIDENT_ID", "documentNumber": number, "dateOfBirth": iso}})
