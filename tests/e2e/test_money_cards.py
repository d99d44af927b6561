"""Top-up and withdrawal through the sandbox card network: idempotent, and a refusal moves nothing."""

from __future__ import annotations

import pytest

from models import Journal, JournalKind, LedgerEntry, Transfer
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

BAD_AMOUNTS = [
    ("0", "must be greater than zero"), ("-1", 'must be a positive decimal such as "12.34"'),
    ("1.001", "has more than 2 decimal places"), ("NaN", 'must be a positive decimal such as "12.34"'),
    ("1e3", 'must be a positive decimal such as "12.34"'),
    ("99999999999999999999", 'must be a positive decimal such as "12.34"'),
    ("", 'must be a positive decimal such as "12.34"'), (" 1", 'must be a positive decimal such as "12.34"'),
    ("１０", 'must be a positive decimal such as "12.34"'),
]


async def _journal_kinds(transfer_id: str) -> list[tuple[str, str]]:
    journals = await Journal.filter(transfer_id=wf.db_id(transfer_id)).order_by("id")
    return [(j.kind.value, j.description) for j in journals]


async def test_top_up_is_idempotent_per_key(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.funded_user(client, sms_sink, "0.00")
    first = await wf.top_up(who, "250.50", key="top-up-1")
    assert first["__typename"] == "TransferSuccess"
    assert (first["transfer"]["kind"], first["transfer"]["state"]) == ("TOP_UP", "COMPLETED")
    assert first["wallet"]["balance"] == {"amount": "250.50", "currency": "CNY"}
    again = await wf.top_up(who, "250.50", key="top-up-1")
    assert again == first
    other = await wf.top_up(who, "250.51", key="top-up-1")
    assert other["__typename"] == "IdempotencyConflictError"
    assert await wf.balance(who) == "250.50"
    assert await _journal_kinds(first["transfer"]["id"]) == [("TOP_UP", "")]


@pytest.mark.parametrize(("number", "reason"), [("4000000000009995", "INSUFFICIENT_FUNDS"),
                                                ("4000000000000341", "DECLINED")])
async def test_declined_top_up_moves_nothing(client: GraphQLClient, sms_sink: SmsSink, number: str,
                                             reason: str) -> None:
    who = await wf.wallet_user(client, sms_sink)
    await wf.bind_card(who, sms_sink, number=number)
    snapshot = await wf.ledger_snapshot()
    declined = await wf.top_up(who, "10.00", key="declined")
    assert declined == {"__typename": "CardDeclinedError", "code": "CARD_DECLINED", "reason": reason,
                        "message": f"The card was declined ({reason})."}
    assert await wf.top_up(who, "10.00", key="declined") == declined
    after = await wf.ledger_snapshot()
    assert after == {**snapshot, "transfers": snapshot["transfers"] + 1}  # type: ignore[operator]
    failed = await Transfer.get(initiator__phone=who.phone, idempotency_key="declined")
    assert (failed.state, failed.failure_reason) == ("FAILED", reason)
    assert await Journal.filter(transfer_id=failed.id).count() == 0
    await wf.remove_card(who)


async def test_withdrawal_holds_then_settles(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.funded_user(client, sms_sink, "100.00")
    paid = await wf.withdraw(who, "30.25")
    assert paid["__typename"] == "TransferSuccess"
    assert (paid["transfer"]["kind"], paid["transfer"]["state"]) == ("WITHDRAWAL", "COMPLETED")
    assert paid["wallet"]["balance"]["amount"] == "69.75"
    assert await _journal_kinds(paid["transfer"]["id"]) == [("WITHDRAWAL_HOLD", ""), ("WITHDRAWAL_SETTLE", "")]
    entries = await LedgerEntry.filter(journal__transfer_id=wf.db_id(paid["transfer"]["id"])).order_by("id") \
        .prefetch_related("account")
    assert [(e.account.kind.value, e.amount_minor) for e in entries] == [
        ("USER_WALLET", -3025), ("WITHDRAWAL_HOLDS", 3025), ("WITHDRAWAL_HOLDS", -3025), ("CARD_CLEARING", 3025)]


async def test_declined_withdrawal_voids_the_hold_and_says_why(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.funded_user(client, sms_sink, "50.00")
    await wf.bind_card(who, sms_sink, number="4000000000000341")
    declined = await wf.withdraw(who, "20.00", key="w-1")
    assert (declined["__typename"], declined["reason"]) == ("CardDeclinedError", "DECLINED")
    assert await wf.balance(who) == "50.00"
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="w-1")
    assert (transfer.state, transfer.failure_reason) == ("FAILED", "DECLINED")
    journals = await Journal.filter(transfer_id=transfer.id).order_by("id")
    assert [(j.kind, j.description) for j in journals] == [
        (JournalKind.WITHDRAWAL_HOLD, ""), (JournalKind.WITHDRAWAL_VOID, "payout declined: DECLINED")]
    records = await client.gql("{ wallet { transactions(first: 5) { edges { node { kind amount { amount } "
                               "balanceAfter { amount } transfer { state } } } } } }")
    assert [e["node"] for e in records["wallet"]["transactions"]["edges"]][:2] == [
        {"kind": "REFUND", "amount": {"amount": "20.00"}, "balanceAfter": {"amount": "50.00"},
         "transfer": {"state": "FAILED"}},
        {"kind": "WITHDRAWAL", "amount": {"amount": "-20.00"}, "balanceAfter": {"amount": "30.00"},
         "transfer": {"state": "FAILED"}}]
    assert await wf.withdraw(who, "20.00", key="w-1") == declined
    await wf.remove_card(who)


async def test_refused_card_movements_change_nothing(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.funded_user(client, sms_sink, "10.00")
    snapshot = await wf.ledger_snapshot()
    too_much = await wf.withdraw(who, "10.01")
    assert too_much == {"__typename": "InsufficientFundsError", "code": "INSUFFICIENT_FUNDS",
                        "message": "Your balance is too low for this payment.",
                        "available": {"amount": "10.00", "currency": "CNY"},
                        "requested": {"amount": "10.01", "currency": "CNY"}}
    wrong_pin = await wf.top_up(who, "1.00", pin="975310")
    assert (wrong_pin["__typename"], wrong_pin["attemptsLeft"]) == ("InvalidPinError", 4)
    no_card = await who.client.mutate("topUp", wf.TOP_UP, wf.card_money("Q2FyZDo5OTk5OTk5", "1.00"))
    assert no_card["__typename"] == "NotFoundError"
    for amount, message in BAD_AMOUNTS:
        for mutation, query in (("topUp", wf.TOP_UP), ("withdraw", wf.WITHDRAW)):
            refused = await who.client.mutate(mutation, query, wf.card_money(who.card_id, amount))
            assert refused["__typename"] == "InvalidInputError", (mutation, amount)
            assert refused["fields"] == [{"field": "amount", "message": message}]
    assert await wf.ledger_snapshot() == snapshot
