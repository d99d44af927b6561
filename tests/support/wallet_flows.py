"""Wallet journeys through the public API: set a PIN, open a wallet, bind a card, top up, send."""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tests.support import flows, leaks
from tests.support.client import GraphQLClient
from tests.support.flows import Account
from tests.support.sinks import SmsSink

PIN = "135792"
OTHER_PIN = "864208"
REAL_NAME = "王小明"
BIND_SMS = "link your card"
STEP_UP_SMS = "large imwallet payment"

_DETAILS = {
    "InvalidInputError": "fields { field message }",
    "InvalidPinError": "attemptsLeft",
    "PinLockedError": "lockedUntil",
    "VerificationRequiredError": "missing { name purpose }",
    "InsufficientFundsError": "available { amount currency } requested { amount currency }",
    "LimitExceededError": "limit limitAmount { amount } remaining { amount }",
    "CardDeclinedError": "reason",
    "RecipientUnavailableError": "reason",
    "InvalidCodeError": "attemptsLeft",
}
_PIN_ERRORS = ("InvalidInputError", "InvalidPinError", "PinLockedError", "VerificationRequiredError")


def errors(*names: str) -> str:
    """Error fragments for a result union: `code message` for all, details for the named members."""
    return "... on Error { code message } " + " ".join(f"... on {n} {{ {_DETAILS[n]} }}" for n in names)


def _mutation(field: str, input_type: str | None, success: str, *error_types: str) -> str:
    arg = f"($input: {input_type}!)" if input_type else ""
    call = f"{field}(input: $input)" if input_type else field
    return f"mutation{arg} {{ {call} {{ __typename {success} {errors(*error_types)} }} }}"


CARD_FIELDS = "id brand last4 expiryMonth expiryYear holderName status"
TRANSFER_FIELDS = "id kind state amount { amount currency } memo failureReason"
SUCCESS = "... on TransferSuccess { transfer { " + TRANSFER_FIELDS + " } wallet { balance { amount currency } } }"

SET_PIN = _mutation("setPaymentPin", "SetPaymentPinInput", "", "InvalidInputError", "VerificationRequiredError")
CHANGE_PIN = _mutation("changePaymentPin", "ChangePaymentPinInput", "", *_PIN_ERRORS)
RESET_PIN = _mutation("resetPaymentPin", "ResetPaymentPinInput", "", "InvalidInputError", "InvalidCodeError",
                      "VerificationRequiredError")
OPEN_WALLET = _mutation("openWallet", None, "... on WalletSuccess { wallet { balance { amount currency } } }",
                        "VerificationRequiredError")
BIND_CARD = _mutation("bindCard", "BindCardInput", "... on CardBindingStarted { card { " + CARD_FIELDS + " } }",
                      *_PIN_ERRORS, "CardDeclinedError")
CONFIRM_CARD = _mutation("confirmCardBinding", "ConfirmCardBindingInput",
                         "... on CardSuccess { card { " + CARD_FIELDS + " } }", "InvalidInputError", "InvalidCodeError")
REMOVE_CARD = _mutation("removeCard", "RemoveCardInput", "... on CardRemoved { cardId }", *_PIN_ERRORS)
TOP_UP = _mutation("topUp", "CardMoneyInput", SUCCESS, *_PIN_ERRORS, "CardDeclinedError")
WITHDRAW = _mutation("withdraw", "CardMoneyInput", SUCCESS, *_PIN_ERRORS, "CardDeclinedError",
                     "InsufficientFundsError", "LimitExceededError")
SEND_MONEY = _mutation("sendMoney", "SendMoneyInput", SUCCESS, *_PIN_ERRORS, "InsufficientFundsError",
                       "LimitExceededError", "RecipientUnavailableError", "InvalidCodeError")

_people = itertools.count(1)
_RUN_OFFSET = random.randint(0, 14_599)


@dataclass
class WalletAccount:
    account: Account
    card_id: str | None = None

    @property
    def client(self) -> GraphQLClient:
        return self.account.client

    @property
    def user_id(self) -> str:
        return self.account.user_id

    @property
    def phone(self) -> str:
        return self.account.phone


def unique_birth() -> str:
    """A birth date (YYYYMMDD) that no other test person shares, so resident IDs never collide."""
    # n * 7919 (a prime) modulo 14,600 days visits every day once before repeating, so within a run no
    # two people share a birth date; a random offset per call made 200-member tests collide now and then.
    n = next(_people)
    born = date(1960, 1, 1) + timedelta(days=(n * 7919 + _RUN_OFFSET) % 14_600)
    return born.strftime("%Y%m%d")


async def verified_account(client: GraphQLClient, sms: SmsSink, *, name: str = "Alice",
                           birth: str | None = None) -> Account:
    account = await flows.register(client, sms, name=name)
    result = await flows.verify_identity(account, real_name=REAL_NAME, birth=birth or unique_birth())
    assert result["__typename"] == "IdentitySuccess", result
    return account


async def set_pin(account: Account, pin: str = PIN) -> dict[str, Any]:
    return await account.client.mutate("setPaymentPin", SET_PIN, {"input": {"pin": pin}})


async def open_wallet(account: Account) -> dict[str, Any]:
    return await account.client.mutate("openWallet", OPEN_WALLET)


async def wallet_user(client: GraphQLClient, sms: SmsSink, *, name: str = "Alice") -> WalletAccount:
    """A verified adult with a PIN and an open wallet at 0.00."""
    account = await verified_account(client, sms, name=name)
    assert (await set_pin(account))["__typename"] == "PinSuccess"
    opened = await open_wallet(account)
    assert opened == {"__typename": "WalletSuccess", "wallet": {"balance": {"amount": "0.00", "currency": "CNY"}}}
    return WalletAccount(account)


async def start_binding(account: Account, *, number: str | None = None, cvv: str = "123",
                        holder: str = REAL_NAME, month: int = 12, year: int = 2031,
                        pin: str = PIN) -> dict[str, Any]:
    return await account.client.mutate("bindCard", BIND_CARD, {"input": {
        "number": number or fresh_visa(), "expiryMonth": month, "expiryYear": year, "cvv": cvv,
        "holderName": holder, "pin": pin}})


async def bank_code(sms: SmsSink, phone: str, skip: int) -> str:
    return await sms.code_for(phone, skip=skip, contains=BIND_SMS)


def fresh_visa() -> str:
    """A valid Visa number nobody has bound yet; the sandbox approves numbers outside its table."""
    from stdnum import luhn

    body = "4" + "".join(random.choice("0123456789") for _ in range(14))
    number = body + luhn.calc_check_digit(body)
    leaks.watch(number)
    return number


def sms_count(sms: SmsSink, phone: str, contains: str) -> int:
    return len([m for m in sms.to(phone) if contains in m["text"]])


async def bind_card(who: WalletAccount, sms: SmsSink, *, number: str | None = None, cvv: str = "123") -> str:
    """Bind and confirm a card (a fresh approving Visa by default); remembers and returns its id."""
    number = number or fresh_visa()
    before = sms_count(sms, who.phone, BIND_SMS)
    started = await start_binding(who.account, number=number, cvv=cvv)
    assert started["__typename"] == "CardBindingStarted", started
    code = await bank_code(sms, who.phone, before)
    confirmed = await who.client.mutate("confirmCardBinding", CONFIRM_CARD, {"input": {
        "bindingId": started["card"]["id"], "code": code}})
    assert confirmed["card"]["status"] == "ACTIVE", confirmed
    who.card_id = confirmed["card"]["id"]
    return who.card_id


async def remove_card(who: WalletAccount, card_id: str | None = None) -> None:
    """Unbind a card (so a published test number can be bound again by a later test)."""
    result = await who.client.mutate("removeCard", REMOVE_CARD, {"input": {"cardId": card_id or who.card_id,
                                                                           "pin": PIN}})
    assert result["__typename"] == "CardRemoved", result


def card_money(card_id: str | None, amount: str, key: str | None = None, pin: str = PIN) -> dict[str, Any]:
    return {"input": {"cardId": card_id, "amount": amount, "pin": pin, "idempotencyKey": key or str(uuid.uuid4())}}


async def top_up(who: WalletAccount, amount: str, key: str | None = None, pin: str = PIN) -> dict[str, Any]:
    return await who.client.mutate("topUp", TOP_UP, card_money(who.card_id, amount, key, pin))


async def withdraw(who: WalletAccount, amount: str, key: str | None = None, pin: str = PIN) -> dict[str, Any]:
    return await who.client.mutate("withdraw", WITHDRAW, card_money(who.card_id, amount, key, pin))


async def funded_user(client: GraphQLClient, sms: SmsSink, amount: str, *, name: str = "Alice") -> WalletAccount:
    """A wallet user with a bound Visa test card, topped up with `amount`."""
    who = await wallet_user(client, sms, name=name)
    await bind_card(who, sms)
    if amount != "0.00":
        result = await top_up(who, amount)
        assert result["__typename"] == "TransferSuccess", result
        assert result["wallet"]["balance"]["amount"] == amount
    return who


def send_input(*, to_user: str | None = None, to_phone: str | None = None, amount: str, memo: str = "",
               key: str | None = None, pin: str = PIN, step_up_code: str | None = None) -> dict[str, Any]:
    to = {"userId": to_user} if to_user is not None else {"phone": to_phone}
    return {"input": {"to": to, "amount": amount, "memo": memo, "pin": pin,
                      "idempotencyKey": str(uuid.uuid4()) if key is None else key, "stepUpCode": step_up_code}}


async def send(payer: WalletAccount, payee: WalletAccount | None = None, *, amount: str, memo: str = "",
               key: str | None = None, pin: str = PIN, to_phone: str | None = None,
               step_up_code: str | None = None) -> dict[str, Any]:
    variables = send_input(to_user=payee.user_id if payee and not to_phone else None, to_phone=to_phone,
                           amount=amount, memo=memo, key=key, pin=pin, step_up_code=step_up_code)
    return await payer.client.mutate("sendMoney", SEND_MONEY, variables)


async def balance(who: WalletAccount) -> str:
    data = await who.client.gql("{ wallet { balance { amount } } }")
    return str(data["wallet"]["balance"]["amount"])


def db_id(global_id: str) -> int:
    """The database id inside a Relay global id (for reading rows in assertions)."""
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


async def ledger_snapshot() -> dict[str, object]:
    """Every balance and the number of transfers, journals and entries: a refusal changes none."""
    from models import Journal, LedgerAccount, LedgerEntry, Transfer

    return {
        "balances": {a.id: a.balance_minor for a in await LedgerAccount.all()},
        "transfers": await Transfer.all().count(),
        "journals": await Journal.all().count(),
        "entries": await LedgerEntry.all().count(),
    }


async def wait_sms(sms: SmsSink, phone: str, contains: str, count: int, timeout: float = 10.0) -> None:
    """Wait until exactly `count` SMS containing `contains` reached `phone`."""
    import asyncio

    for _ in range(int(timeout / 0.05)):
        if sms_count(sms, phone, contains) >= count:
            break
        await asyncio.sleep(0.05)
    assert sms_count(sms, phone, contains) == count
