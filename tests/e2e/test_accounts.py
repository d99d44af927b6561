"""Accounts and sessions over HTTP: the whole journey, login throttles, sessions, password reset."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from app.identity.documents import today_in_china
from models import Identity, Session, User
from tests.support import flows
from tests.support.client import GraphQLClient, fresh_phone
from tests.support.server import RunningServer
from tests.support.sinks import MailSink, SmsSink

ME = """{ me { id phone email emailVerified identity { realNameMasked documentNumberMasked }
          walletRequirements { name } sessions { id deviceName current lastSeenAt } } }"""
REQUEST_EMAIL_CODE = """mutation($email: String!) { requestVerificationCode(input:
  {channel: EMAIL, purpose: VERIFY_EMAIL, email: $email}) { __typename ... on Error { code } } }"""
VERIFY_EMAIL = """mutation($code: String!) { verifyEmail(input: {code: $code}) {
  __typename ... on UserSuccess { user { email emailVerified } } ... on InvalidCodeError { code attemptsLeft } } }"""
LOGOUT = "mutation { logout { __typename ... on Error { code } } }"
LOGOUT_EVERYWHERE = "mutation { logoutEverywhere { __typename ... on Error { code } } }"
REVOKE = """mutation($id: ID!) { revokeSession(input: {sessionId: $id}) { __typename ... on Error { code } } }"""
RESET = """mutation($input: ResetPasswordInput!) { resetPassword(input: $input) {
  __typename ... on Error { code message } ... on InvalidInputError { fields { field message } } } }"""

MakeClient = Callable[..., GraphQLClient]


def submit(account: flows.Account, number: str, birth: str) -> object:
    return account.client.mutate("submitIdentity", flows.SUBMIT_IDENTITY, {"input": {
        "realName": "王小明", "documentType": "RESIDENT_ID", "documentNumber": number, "dateOfBirth": birth}})


async def login(client: GraphQLClient, phone: str, password: str = flows.PASSWORD) -> dict[str, object]:
    return await client.mutate("login", flows.LOGIN, {"input": {"phone": phone, "password": password}})


async def test_journey_register_login_email_identity_logout(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink, mail_sink: MailSink) -> None:
    # Given an account registered with the code read from the SMS webhook
    account = await flows.register(client, sms_sink, name="Wang")
    email = f"wang-{account.phone[1:]}@example.com"
    # When it logs in again on a second device
    phone_client = new_client()
    session = await login(phone_client, account.phone)
    assert session["__typename"] == "SessionPayload"
    phone_client.token = str(session["token"])
    # and adds an email, then asks for a fresh code and verifies it from the real SMTP server
    added = await phone_client.mutate("addEmail", "mutation($e: String!) { addEmail(input: {email: $e}) "
                                      "{ __typename } }", {"e": email.upper()})
    assert added == {"__typename": "UserSuccess"}
    first = await mail_sink.code_for(email)
    # (add_email already spent this minute's send for the address)
    again = await phone_client.mutate("requestVerificationCode", REQUEST_EMAIL_CODE, {"email": email})
    assert again == {"__typename": "RateLimitedError", "code": "RATE_LIMITED"}
    verified = await phone_client.mutate("verifyEmail", VERIFY_EMAIL, {"code": first})
    expected_email = email.split("@")[0].upper() + "@example.com"  # the domain is normalised, not the local part
    assert verified == {"__typename": "UserSuccess", "user": {"email": expected_email, "emailVerified": True}}
    # and submits identity: a 17-year-old and a bad check character fail, an adult passes
    today = today_in_china()
    minor_birth = date(today.year - 17, 1, 1).strftime("%Y%m%d")
    minor = await submit(account, flows.resident_id(minor_birth), f"{minor_birth[:4]}-01-01")
    assert minor == {"__typename": "IdentityRejectedError", "reason": "UNDERAGE", "code": "IDENTITY_REJECTED",
                     "message": "You must be 18 or older to use the wallet."}
    good = flows.resident_id("19900307", "457")
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rejected = await submit(account, bad_check, "1990-03-07")
    assert rejected["reason"] == "BAD_CHECK_CHARACTER"  # type: ignore[index]
    assert await Identity.filter(user_id=int(await _db_id(account))).count() == 0
    passed = await submit(account, good.lower(), "1990-03-07")
    assert passed == {"__typename": "IdentitySuccess", "identity": {
        "realNameMasked": "**明", "documentNumberMasked": good[0] + "*" * 16 + good[-1],
        "documentType": "RESIDENT_ID"}}
    me = (await client.gql(ME))["me"]
    assert me["emailVerified"] is True
    assert me["identity"] == {"realNameMasked": "**明", "documentNumberMasked": good[0] + "*" * 16 + good[-1]}
    assert me["walletRequirements"] == [{"name": "PAYMENT_PIN"}]
    # Then logging out revokes that token: me is null and mutations say NOT_AUTHENTICATED
    assert await phone_client.mutate("logout", LOGOUT, None) == {"__typename": "Done"}
    assert (await phone_client.gql("{ me { id } }")) == {"me": None}
    assert await phone_client.mutate("logout", LOGOUT, None) == {
        "__typename": "NotAuthenticatedError", "code": "NOT_AUTHENTICATED"}
    # while the first device's session lives on
    assert (await client.gql("{ me { id } }"))["me"] == {"id": account.user_id}


async def resend_window_passes(server: RunningServer, destination: str) -> None:
    """Stand-in for waiting out the one-send-a-minute window of a destination (tests are not timed)."""
    await server.runtime.limiter.clear(f"code-dest-min:{destination}", 1, server.settings.code_resend_seconds)


async def _db_id(account: flows.Account) -> int:
    user = await User.get(phone=account.phone)
    return int(user.id)


async def test_one_number_in_three_spellings_is_one_account(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    national = f"139{fresh_phone()[6:]}"
    spaced = f"+86 {national[:3]} {national[3:7]} {national[7:]}"
    e164 = f"+86{national}"
    # The code is requested with one spelling, sent to the E.164 form and used with another spelling
    await client.mutate("requestVerificationCode", flows.REQUEST_CODE, {"input": {
        "channel": "SMS", "purpose": "REGISTER", "phone": spaced}})
    code = await sms_sink.code_for(e164)
    result = await client.mutate("register", flows.REGISTER, {"input": {
        "phone": f"0086{national}", "code": code, "password": flows.PASSWORD, "displayName": "Li"}})
    assert result["user"]["phone"] == e164
    for spelling in (f"0086{national}", national, spaced):
        assert (await login(new_client(), spelling))["__typename"] == "SessionPayload"
    # Another spelling is the same destination for the send throttle, and the code is spent
    other = new_client()
    answer = await other.mutate("requestVerificationCode", flows.REQUEST_CODE, {"input": {
        "channel": "SMS", "purpose": "REGISTER", "phone": national}})
    assert answer["__typename"] == "RateLimitedError"
    again = await other.mutate("register", flows.REGISTER, {"input": {
        "phone": national, "code": code, "password": flows.PASSWORD, "displayName": "Li"}})
    assert again["__typename"] == "InvalidCodeError"
    assert len(sms_sink.to(e164)) == 1
    assert await User.filter(phone=e164).count() == 1


async def test_common_password_is_refused_and_the_code_survives(client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    code = await flows.request_sms_code(client, sms_sink, phone, "REGISTER")
    refused = await client.mutate("register", flows.REGISTER, {"input": {
        "phone": phone, "code": code, "password": "Password1", "displayName": "Bob"}})
    assert refused == {"__typename": "InvalidInputError", "code": "INVALID_INPUT",
                       "message": "password: is too common; choose another",
                       "fields": [{"field": "password", "message": "is too common; choose another"}]}
    assert await User.filter(phone=phone).count() == 0
    ok = await client.mutate("register", flows.REGISTER, {"input": {
        "phone": phone, "code": code, "password": flows.PASSWORD, "displayName": "Bob"}})
    assert ok["__typename"] == "SessionPayload"


async def test_wrong_password_and_unknown_phone_get_the_same_answer(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    wrong = await login(new_client(), account.phone, "not the password")
    unknown = await login(new_client(), fresh_phone())
    assert wrong == unknown == {"__typename": "InvalidCredentialsError", "code": "INVALID_CREDENTIALS",
                                "message": "Wrong phone number or password."}


LOGIN_WITH_CODE = """mutation($input: LoginWithCodeInput!) { loginWithCode(input: $input) {
  __typename ... on SessionPayload { token user { id } } ... on Error { code message } } }"""


async def test_a_strangers_wrong_passwords_slow_the_stranger_not_the_owner(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink, server: RunningServer) -> None:
    victim = await flows.register(client, sms_sink, name="Victim")
    bystander = await flows.register(new_client(), sms_sink, name="Bystander")
    attacker = new_client()
    sessions_before = await Session.filter(user__phone=victim.phone).count()
    # Given five quick wrong passwords for one account from one address
    for _ in range(5):
        assert (await login(attacker, victim.phone, "wrong password"))["__typename"] == "InvalidCredentialsError"
    # Then that address must wait, even with the right password
    refused = await login(attacker, victim.phone)
    assert refused["__typename"] == "RateLimitedError", refused
    assert refused["code"] == "RATE_LIMITED"
    assert await Session.filter(user__phone=victim.phone).count() == sessions_before
    # but the owner, elsewhere, signs in at once
    assert (await login(new_client(), victim.phone))["__typename"] == "SessionPayload"
    # and the same address may still sign in to another account
    assert (await login(attacker, bystander.phone))["__typename"] == "SessionPayload"


async def test_an_address_that_guesses_across_accounts_runs_out(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink, server: RunningServer) -> None:
    s = server.settings
    bystander = await flows.register(client, sms_sink, name="Bystander")
    attacker = new_client()
    for _ in range(s.login_failures_per_address):
        assert (await login(attacker, fresh_phone(), "wrong password"))["__typename"] == "InvalidCredentialsError"
    assert (await login(attacker, bystander.phone))["__typename"] == "RateLimitedError"
    assert (await login(new_client(), bystander.phone))["__typename"] == "SessionPayload"


async def test_while_a_password_lock_holds_the_owner_signs_in_with_an_sms_code(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink, server: RunningServer) -> None:
    s = server.settings
    victim = await flows.register(client, sms_sink, name="Victim")
    # many addresses together exhaust the account's own budget
    for _ in range(s.login_failures_per_account // 5):
        stranger = new_client()
        for _ in range(5):
            assert (await login(stranger, victim.phone, "wrong"))["__typename"] == "InvalidCredentialsError"
    owner = new_client()
    assert (await login(owner, victim.phone))["__typename"] == "RateLimitedError"
    await resend_window_passes(server, victim.phone)
    code = await flows.request_sms_code(owner, sms_sink, victim.phone, "LOGIN")
    wrong = await owner.mutate("loginWithCode", LOGIN_WITH_CODE, {"input": {
        "phone": victim.phone, "code": f"{(int(code) + 1) % 10**6:06d}"}})
    assert wrong["__typename"] == "InvalidCodeError"
    signed_in = await owner.mutate("loginWithCode", LOGIN_WITH_CODE, {"input": {"phone": victim.phone,
                                                                                "code": code}})
    assert signed_in["__typename"] == "SessionPayload"
    assert signed_in["user"] == {"id": victim.user_id}
    owner.token = str(signed_in["token"])
    assert (await owner.gql("{ me { id } }")) == {"me": {"id": victim.user_id}}
    # the code is single use
    again = await new_client().mutate("loginWithCode", LOGIN_WITH_CODE, {"input": {"phone": victim.phone,
                                                                                   "code": code}})
    assert again["__typename"] == "InvalidCodeError"


async def test_a_login_code_for_an_unknown_phone_is_answered_the_same_and_sent_nowhere(
        new_client: MakeClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    result = await new_client().mutate("requestVerificationCode", flows.REQUEST_CODE, {"input": {
        "channel": "SMS", "purpose": "LOGIN", "phone": phone}})
    assert result["__typename"] == "CodeRequested"
    await asyncio.sleep(0.3)
    assert sms_sink.to(phone) == []


async def test_success_clears_the_account_counter(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink, server: RunningServer) -> None:
    s = server.settings
    account = await flows.register(client, sms_sink)
    other = new_client()
    for _ in range(2):
        for _ in range(4):  # one short of the first growing delay
            assert (await login(other, account.phone, "wrong password"))["__typename"] == "InvalidCredentialsError"
        assert (await login(other, account.phone))["__typename"] == "SessionPayload"
        limiter = server.runtime.limiter
        assert await limiter.count(f"login-acct:{account.phone}", s.login_failures_per_account,
                                   s.login_failure_window_seconds) == 0
        assert await limiter.count(f"login-pair:{account.phone}|{other.ip}", 5, 60) == 0


async def test_sessions_show_devices_and_can_be_revoked(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    client.device_name = "Pixel 9"
    account = await flows.register(client, sms_sink)
    laptop = new_client()
    laptop.device_name = "MacBook"
    laptop.token = str((await login(laptop, account.phone))["token"])
    sessions = (await client.gql(ME))["me"]["sessions"]
    assert sorted((s["deviceName"], s["current"]) for s in sessions) == [("MacBook", False), ("Pixel 9", True)]
    assert all(s["lastSeenAt"].endswith("+00:00") for s in sessions)
    laptop_id = next(s["id"] for s in sessions if s["deviceName"] == "MacBook")
    # Another user cannot revoke it: foreign and unknown ids are the same NOT_FOUND
    stranger = await flows.register(new_client(), sms_sink)
    assert await stranger.client.mutate("revokeSession", REVOKE, {"id": laptop_id}) == {
        "__typename": "NotFoundError", "code": "NOT_FOUND"}
    assert await stranger.client.mutate("revokeSession", REVOKE, {"id": "garbage"}) == {
        "__typename": "NotFoundError", "code": "NOT_FOUND"}
    assert (await laptop.gql("{ me { id } }"))["me"] == {"id": account.user_id}
    # The owner can
    assert await client.mutate("revokeSession", REVOKE, {"id": laptop_id}) == {"__typename": "Done"}
    assert (await laptop.gql("{ me { id } }"))["me"] is None
    assert [s["deviceName"] for s in (await client.gql(ME))["me"]["sessions"]] == ["Pixel 9"]


async def test_logout_everywhere_ends_every_session(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    other = new_client(str((await login(new_client(), account.phone))["token"]))
    assert await client.mutate("logoutEverywhere", LOGOUT_EVERYWHERE, None) == {"__typename": "Done"}
    assert (await client.gql("{ me { id } }"))["me"] is None
    assert (await other.gql("{ me { id } }"))["me"] is None
    user = await User.get(phone=account.phone)
    assert await Session.filter(user_id=user.id, revoked_at__isnull=True).count() == 0


async def test_password_reset_revokes_all_sessions(
        client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink, server: RunningServer) -> None:
    account = await flows.register(client, sms_sink)
    await resend_window_passes(server, account.phone)
    stranger = new_client()
    code = await flows.request_sms_code(stranger, sms_sink, account.phone, "RESET_PASSWORD")
    # A wrong code changes nothing
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await stranger.mutate("resetPassword", RESET, {"input": {
        "phone": account.phone, "code": wrong, "newPassword": "a brand new secret"}})
    assert refused["__typename"] == "InvalidCodeError"
    assert (await client.gql("{ me { id } }"))["me"] == {"id": account.user_id}
    done = await stranger.mutate("resetPassword", RESET, {"input": {
        "phone": account.phone, "code": code, "newPassword": "a brand new secret"}})
    assert done == {"__typename": "Done"}
    assert (await client.gql("{ me { id } }"))["me"] is None
    assert (await login(new_client(), account.phone))["__typename"] == "InvalidCredentialsError"
    assert (await login(new_client(), account.phone, "a brand new secret"))["__typename"] == "SessionPayload"


async def test_reset_code_for_an_unknown_phone_answers_the_same_and_sends_nothing(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    phone = fresh_phone()
    answer = await client.mutate("requestVerificationCode", flows.REQUEST_CODE, {"input": {
        "channel": "SMS", "purpose": "RESET_PASSWORD", "phone": phone}})
    assert answer == {"__typename": "CodeRequested"}
    await asyncio.sleep(0.5)
    assert sms_sink.to(phone) == []


async def test_hundred_aliased_logins_are_refused_before_any_resolver(
        client: GraphQLClient, sms_sink: SmsSink, new_client: MakeClient, server: RunningServer) -> None:
    account = await flows.register(client, sms_sink)
    attacker = new_client()
    fields = " ".join(f'l{i}: login(input: {{phone: "{account.phone}", password: "guess{i:04d}"}}) {{ __typename }}'
                      for i in range(100))
    sessions_before = await Session.all().count()
    response = await attacker.post(f"mutation {{ {fields} }}", headers={"accept": "application/graphql-response+json"})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    messages = [e["message"] for e in body["errors"]]
    assert "100 aliases found. Allowed: 15" in messages
    assert "A document may use login only once; send one operation per request." in messages
    s = server.settings
    limiter = server.runtime.limiter
    assert await limiter.count(f"login-acct:{account.phone}", s.login_failures_per_account,
                               s.login_failure_window_seconds) == 0
    assert await limiter.count(f"login-addr:{attacker.ip}", s.login_failures_per_address,
                               s.login_failure_window_seconds) == 0
    assert await Session.all().count() == sessions_before


async def test_two_logins_under_the_alias_limit_are_still_refused(
        client: GraphQLClient, sms_sink: SmsSink, server: RunningServer) -> None:
    account = await flows.register(client, sms_sink)
    one = f'login(input: {{phone: "{account.phone}", password: "{flows.PASSWORD}"}}) {{ __typename }}'
    sessions_before = await Session.all().count()
    for query in (f"mutation {{ a: {one} b: {one} }}",
                  f"mutation {{ ...L ...L }} fragment L on Mutation {{ {one} }}",
                  f"mutation {{ ...A ...B }} fragment A on Mutation {{ a: {one} }} "
                  f"fragment B on Mutation {{ b: {one} }}",
                  f"mutation {{ a: {one} ... on Mutation {{ b: {one} }} }}",
                  f"mutation X {{ {one} }} mutation Y {{ {one} }}"):
        response = await client.post(query)
        errors = response.json()["errors"]
        assert [e["message"] for e in errors] == [
            "A document may use login only once; send one operation per request."], query
        assert errors[0]["extensions"] == {"code": "SENSITIVE_FIELD_REPEATED"}
    assert await Session.all().count() == sessions_before
    s = server.settings
    assert await server.runtime.limiter.count(f"login-acct:{account.phone}", s.login_failures_per_account,
                                              s.login_failure_window_seconds) == 0


async def test_session_token_is_32_random_bytes_kept_only_as_sha256_and_expires(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    raw = base64.urlsafe_b64decode(account.token + "=")
    assert len(raw) == 32
    session = await Session.get(token_hash=hashlib.sha256(account.token.encode()).hexdigest())
    assert account.token not in repr(session.__dict__)
    expires_in = session.expires_at - session.created_at
    assert timedelta(days=30) - timedelta(seconds=5) < expires_in <= timedelta(days=30)
    # Stand-in for the 30 days passing
    await Session.filter(id=session.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await client.gql("{ me { id } }")) == {"me": None}
