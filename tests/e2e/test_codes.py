"""One-time codes: random, hashed, single use, latest only, burned after 5 wrong tries, throttled sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from models import OutboundMessage, User, VerificationCode
from tests.support import flows
from tests.support.client import GraphQLClient, fresh_phone
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

MakeClient = Callable[..., GraphQLClient]
RESET = """mutation($input: ResetPasswordInput!) { resetPassword(input: $input) {
  __typename ... on InvalidCodeError { attemptsLeft } ... on Error { code } } }"""


def register_input(phone: str, code: str) -> dict[str, object]:
    return {"input": {"phone": phone, "code": code, "password": flows.PASSWORD, "displayName": "Zhang"}}


def other_code(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 1_000_000:06d}"


async def request(client: GraphQLClient, phone: str, purpose: str = "REGISTER",
                  channel: str = "SMS") -> dict[str, object]:
    return await client.mutate("requestVerificationCode", flows.REQUEST_CODE, {"input": {
        "channel": channel, "purpose": purpose, "phone": phone}})


async def resend_window_passes(server: RunningServer, destination: str) -> None:
    """Stand-in for waiting out the one-send-a-minute window (tests are not timed)."""
    await server.runtime.limiter.clear(f"code-dest-min:{destination}", 1, server.settings.code_resend_seconds)


async def test_fifty_parallel_wrong_guesses_spend_five_and_kill_the_code(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    guessers = [new_client() for _ in range(50)]
    results = await asyncio.gather(*(
        g.mutate("register", flows.REGISTER, register_input(phone, other_code(code, i + 1)))
        for i, g in enumerate(guessers)))
    assert {r["__typename"] for r in results} == {"InvalidCodeError"}
    row = await VerificationCode.get(destination=phone, purpose="REGISTER")
    assert row.attempts == 5
    # Then even the right code fails, and no account exists
    right = await client.mutate("register", flows.REGISTER, register_input(phone, code))
    assert (right["__typename"], right["attemptsLeft"]) == ("InvalidCodeError", 0)
    assert await User.filter(phone=phone).count() == 0
    assert (await VerificationCode.get(id=row.id)).attempts == 5


async def test_attempts_left_counts_down_and_the_fifth_wrong_try_burns_the_code(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    left = [(await client.mutate("register", flows.REGISTER,
                                 register_input(phone, other_code(code, i))))["attemptsLeft"] for i in range(1, 6)]
    assert left == [4, 3, 2, 1, 0]
    assert (await client.mutate("register", flows.REGISTER, register_input(phone, code)))["attemptsLeft"] == 0


async def test_right_code_on_the_fifth_try_still_works(client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    for i in range(1, 5):
        await client.mutate("register", flows.REGISTER, register_input(phone, other_code(code, i)))
    assert (await client.mutate("register", flows.REGISTER, register_input(phone, code)))["__typename"] == \
        "SessionPayload"


async def test_a_code_is_single_use(client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink,
                                    server: RunningServer) -> None:
    account = await flows.register(client, sms_sink)
    await resend_window_passes(server, account.phone)
    code = await flows.request_sms_code(client, sms_sink, account.phone, "RESET_PASSWORD")
    reset = {"input": {"phone": account.phone, "code": code, "newPassword": "first new secret"}}
    assert await client.mutate("resetPassword", RESET, reset) == {"__typename": "Done"}
    reset["input"]["newPassword"] = "second new secret"  # type: ignore[index]
    assert await new_client().mutate("resetPassword", RESET, reset) == {
        "__typename": "InvalidCodeError", "attemptsLeft": 0, "code": "INVALID_CODE"}
    login = await new_client().mutate("login", flows.LOGIN, {"input": {"phone": account.phone,
                                                                         "password": "first new secret"}})
    assert login["__typename"] == "SessionPayload"


async def test_only_the_latest_code_is_valid(client: GraphQLClient, sms_sink: SmsSink,
                                             server: RunningServer) -> None:
    phone = fresh_phone()
    first = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    await resend_window_passes(server, phone)
    second = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    if first != second:  # one time in a million they are equal, and the check would be meaningless
        stale = await client.mutate("register", flows.REGISTER, register_input(phone, first))
        assert stale["__typename"] == "InvalidCodeError"
    assert (await client.mutate("register", flows.REGISTER, register_input(phone, second)))["__typename"] == \
        "SessionPayload"


async def test_a_code_is_bound_to_its_destination_and_purpose(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone, elsewhere = fresh_phone(), fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    wrong_place = await client.mutate("register", flows.REGISTER, register_input(elsewhere, code))
    wrong_purpose = await client.mutate("resetPassword", RESET, {"input": {
        "phone": phone, "code": code, "newPassword": "some new secret"}})
    assert wrong_place["__typename"] == wrong_purpose["__typename"] == "InvalidCodeError"
    # Neither spent an attempt on the real code
    assert (await VerificationCode.get(destination=phone)).attempts == 0
    assert (await client.mutate("register", flows.REGISTER, register_input(phone, code)))["__typename"] == \
        "SessionPayload"


async def test_an_expired_code_is_refused(client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    row = await VerificationCode.get(destination=phone)
    assert timedelta(seconds=299) < row.expires_at - row.created_at <= timedelta(seconds=301)
    # Stand-in for five minutes passing
    await VerificationCode.filter(id=row.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await client.mutate("register", flows.REGISTER, register_input(phone, code)))["__typename"] == \
        "InvalidCodeError"
    assert await User.filter(phone=phone).count() == 0


async def test_codes_are_six_digits_stored_only_hashed_and_the_sent_body_is_erased(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    assert len(code) == 6
    assert code.isascii()
    assert code.isdigit()
    row = await VerificationCode.get(destination=phone)
    assert len(row.code_hash) == 64
    assert code not in row.code_hash
    message = await OutboundMessage.get(recipient=phone)
    for _ in range(50):  # the worker marks it sent right after the webhook answered
        if (message := await OutboundMessage.get(id=message.id)).status == "sent":
            break
        await asyncio.sleep(0.05)
    assert (message.status, message.body_sealed, message.attempts) == ("sent", "", 1)
    assert sms_sink.to(phone)[-1]["text"] == \
        f"Your imwallet sign-up code is {code}. It expires in 5 minutes."


async def test_one_send_a_minute_per_destination(client: GraphQLClient, new_client: MakeClient,
                                                 sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    again = await request(new_client(), phone)  # from another address too
    assert again["__typename"] == "RateLimitedError"
    assert 0 < int(again["retryAfterSeconds"]) <= 60  # type: ignore[call-overload]
    await asyncio.sleep(0.3)
    assert len(sms_sink.to(phone)) == 1
    assert await VerificationCode.filter(destination=phone).count() == 1


async def test_at_most_five_sends_an_hour_per_destination(client: GraphQLClient, new_client: MakeClient,
                                                          sms_sink: SmsSink, server: RunningServer) -> None:
    phone = fresh_phone()
    for _ in range(5):
        assert (await request(new_client(), phone))["__typename"] == "CodeRequested"
        await resend_window_passes(server, phone)
    assert (await request(new_client(), phone))["__typename"] == "RateLimitedError"
    assert await VerificationCode.filter(destination=phone).count() == 5


async def test_at_most_twenty_sends_an_hour_per_client_address(client: GraphQLClient, server: RunningServer) -> None:
    phones = [fresh_phone() for _ in range(server.settings.code_sends_per_hour_per_address + 1)]
    answers = [(await request(client, p))["__typename"] for p in phones]
    assert answers == ["CodeRequested"] * 20 + ["RateLimitedError"]
    assert await VerificationCode.filter(destination=phones[-1]).count() == 0


async def test_sign_up_codes_go_by_sms_only(client: GraphQLClient) -> None:
    phone = fresh_phone()
    refused = await client.mutate("requestVerificationCode", """mutation($p: String!) { requestVerificationCode(
        input: {channel: EMAIL, purpose: REGISTER, phone: $p}) { __typename ... on InvalidInputError {
        fields { field message } } } }""", {"p": phone})
    assert refused == {"__typename": "InvalidInputError", "fields": [
        {"field": "channel", "message": "sign-up and password reset codes are sent by SMS"}]}
    assert await VerificationCode.filter(destination=phone).count() == 0
