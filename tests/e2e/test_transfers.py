"""sendMoney: every gate and limit refuses without moving money; idempotency; step-up; records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from models import PaymentPin, Transfer, User
from tests.support import chat, flows, queries
from tests.support import red_packets as rp
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.databases import backend
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import WalletAccount

RECORDS = """query($first: Int!, $after: String, $filter: TransactionFilter) {
  wallet { transactions(first: $first, after: $after, filter: $filter) {
    edges { cursor node { kind amount { amount } balanceAfter { amount } memo counterparty { displayName } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""
TRANSFER = """query($id: ID!) { transfer(id: $id) { id kind state amount { amount } memo
  parties { displayName realNameMasked }
  journal { kind entries { accountKind yours amount { amount } } } } }"""


async def _pair(client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms: SmsSink,
                amount: str = "100.00") -> tuple[WalletAccount, WalletAccount]:
    alice = await wf.funded_user(client, sms, amount, name="Alice")
    bob = await wf.wallet_user(new_client(), sms, name="Bob")
    return alice, bob


async def test_every_refusal_moves_nothing(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                           sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink)
    no_wallet = await wf.verified_account(new_client(), sms_sink, name="Carol")
    snapshot = await wf.ledger_snapshot()
    cases = [
        (await wf.send(alice, alice, amount="1.00"), "RecipientUnavailableError", {"reason": "SELF"}),
        (await wf.send(alice, to_phone=no_wallet.phone, amount="1.00"), "RecipientUnavailableError",
         {"reason": "NO_WALLET"}),
        (await wf.send(alice, to_phone="+8613900000001", amount="1.00"), "NotFoundError", {}),
        (await wf.send(alice, to_phone="not a phone", amount="1.00"), "InvalidInputError", {}),
        (await wf.send(alice, bob, amount="100.01"), "InsufficientFundsError",
         {"available": {"amount": "100.00", "currency": "CNY"}, "requested": {"amount": "100.01", "currency": "CNY"}}),
        (await wf.send(alice, bob, amount="50000.01"), "LimitExceededError",
         {"limit": "PER_TRANSFER", "limitAmount": {"amount": "50000.00"}, "remaining": {"amount": "50000.00"}}),
        (await wf.send(alice, bob, amount="1.00", pin="975310"), "InvalidPinError", {"attemptsLeft": 4}),
        (await wf.send(alice, bob, amount="1.00", memo="x" * 101), "InvalidInputError",
         {"fields": [{"field": "memo", "message": "is longer than 100 characters"}]}),
        (await wf.send(alice, bob, amount="1.00", memo="line\u0007bell"), "InvalidInputError",
         {"fields": [{"field": "memo", "message": "contains a control character"}]}),
        (await wf.send(alice, bob, amount="1.00", key=""), "InvalidInputError",
         {"fields": [{"field": "idempotencyKey", "message": "is required"}]}),
    ]
    for amount, message in (("0", "must be greater than zero"), ("-1", 'must be a positive decimal such as "12.34"'),
                            ("1.001", "has more than 2 decimal places"),
                            ("NaN", 'must be a positive decimal such as "12.34"'),
                            ("1e3", 'must be a positive decimal such as "12.34"'),
                            ("99999999999999999999", 'must be a positive decimal such as "12.34"')):
        cases.append((await wf.send(alice, bob, amount=amount), "InvalidInputError",
                      {"fields": [{"field": "amount", "message": message}]}))
    for answer, typename, details in cases:
        assert answer["__typename"] == typename, answer
        for key, value in details.items():
            assert answer[key] == value, answer
    assert await wf.ledger_snapshot() == snapshot
    assert (await PaymentPin.get(user__phone=alice.phone)).failed_attempts == 1


async def test_nul_in_memo_is_refused_before_execution(client: GraphQLClient, sms_sink: SmsSink,
                                                       new_client: Callable[..., GraphQLClient]) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "1.00")
    response = await alice.client.post(wf.SEND_MONEY, wf.send_input(to_user=bob.user_id, amount="1.00",
                                                                    memo="a\u0000b"))
    assert response.status_code == 400
    assert await wf.balance(alice) == "1.00"


async def test_same_key_same_request_returns_the_first_result(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink)
    first = await wf.send(alice, bob, amount="10.00", memo="rent", key="k-1")
    assert first["__typename"] == "TransferSuccess"
    again = await wf.send(alice, bob, amount="10.00", memo="rent", key="k-1")
    assert again == first
    by_phone = await wf.send(alice, to_phone=bob.phone, amount="10.00", memo="rent", key="k-1")
    assert by_phone == first  # the same payee, spelled differently
    snapshot = await wf.ledger_snapshot()
    for changed in ({"amount": "10.01", "memo": "rent"}, {"amount": "10.00", "memo": "Rent"}):
        conflict = await wf.send(alice, bob, key="k-1", **changed)
        assert conflict == {"__typename": "IdempotencyConflictError", "code": "IDEMPOTENCY_CONFLICT",
                            "message": "This idempotency key was already used for a different request."}
    assert await wf.ledger_snapshot() == snapshot
    assert (await wf.balance(alice), await wf.balance(bob)) == ("90.00", "10.00")
    # a key is per user: Bob may use the same string for his own payment
    back = await wf.send(bob, alice, amount="1.00", key="k-1")
    assert back["__typename"] == "TransferSuccess"
    assert back["transfer"]["id"] != first["transfer"]["id"]


async def test_20_concurrent_identical_requests_make_one_transfer(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink)
    variables = wf.send_input(to_user=bob.user_id, amount="7.77", memo="once", key="same-key")
    answers = await asyncio.gather(*(alice.client.mutate("sendMoney", wf.SEND_MONEY, variables) for _ in range(20)))
    assert answers[0]["__typename"] == "TransferSuccess"
    assert [a for a in answers if a != answers[0]] == []
    assert await Transfer.filter(initiator__phone=alice.phone, idempotency_key="same-key").count() == 1
    assert (await wf.balance(alice), await wf.balance(bob)) == ("92.23", "7.77")


async def test_large_amounts_need_a_fresh_sms_code(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                   sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "6000.00")
    before = wf.sms_count(sms_sink, alice.phone, wf.STEP_UP_SMS)
    snapshot = await wf.ledger_snapshot()
    asked = await wf.send(alice, bob, amount="5000.00", key="big")
    assert asked["__typename"] == "VerificationRequiredError"
    assert asked["missing"] == [{"name": "CODE", "purpose": "STEP_UP"}]
    code = await sms_sink.code_for(alice.phone, skip=before, contains=wf.STEP_UP_SMS)
    wrong = await wf.send(alice, bob, amount="5000.00", key="big", step_up_code=f"{(int(code) + 1) % 10**6:06d}")
    assert (wrong["__typename"], wrong["attemptsLeft"]) == ("InvalidCodeError", 4)
    assert await wf.ledger_snapshot() == snapshot
    done = await wf.send(alice, bob, amount="5000.00", key="big", step_up_code=code)
    assert done["__typename"] == "TransferSuccess"
    assert (await wf.balance(alice), await wf.balance(bob)) == ("1000.00", "5000.00")
    replay = await wf.send(alice, bob, amount="5000.00", key="big")  # the key's result, no new code needed
    assert replay == done
    small = await wf.send(alice, bob, amount="4999.99")
    assert small["__typename"] == "InsufficientFundsError"


async def test_a_step_up_code_confirms_only_the_payment_it_was_sent_for(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "12000.00")
    carol = await wf.wallet_user(new_client(), sms_sink, name="Carol")
    before = wf.sms_count(sms_sink, alice.phone, wf.STEP_UP_SMS)
    asked = await wf.send(alice, bob, amount="5000.00", key="pay-a")
    assert asked["missing"] == [{"name": "CODE", "purpose": "STEP_UP"}]
    code_a = await sms_sink.code_for(alice.phone, skip=before, contains=wf.STEP_UP_SMS)
    snapshot = await wf.ledger_snapshot()

    # A's code on other payments (another key; A's key with another amount; another payee): none has a code
    for payee, amount, key in ((bob, "5000.00", "pay-b"), (bob, "5000.01", "pay-a"), (carol, "5000.00", "pay-c")):
        refused = await wf.send(alice, payee, amount=amount, key=key, step_up_code=code_a)
        assert (refused["__typename"], refused["attemptsLeft"]) == ("InvalidCodeError", 0), key
    # B asks for its own code: that neither supersedes A's nor is accepted for A
    asked_b = await wf.send(alice, bob, amount="6000.00", key="pay-b")
    assert asked_b["__typename"] == "VerificationRequiredError"
    code_b = await sms_sink.code_for(alice.phone, skip=before + 1, contains=wf.STEP_UP_SMS)
    distinct = code_b != code_a  # two random codes match once in a million
    if distinct:
        crossed = await wf.send(alice, bob, amount="5000.00", key="pay-a", step_up_code=code_b)
        assert (crossed["__typename"], crossed["attemptsLeft"]) == ("InvalidCodeError", 4)
    assert await wf.ledger_snapshot() == snapshot

    done = await wf.send(alice, bob, amount="5000.00", key="pay-a", step_up_code=code_a)
    assert done["__typename"] == "TransferSuccess"
    assert (await wf.balance(alice), await wf.balance(bob), await wf.balance(carol)) == ("7000.00", "5000.00", "0.00")
    if distinct:  # A's code, spent, still does not confirm B; B's own code is untouched by it
        spent = await wf.send(alice, bob, amount="6000.00", key="pay-b", step_up_code=code_a)
        assert (spent["__typename"], spent["attemptsLeft"]) == ("InvalidCodeError", 4)


async def test_daily_outgoing_limit_per_shanghai_day(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                     sms_sink: SmsSink, server: RunningServer) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "200000.01")
    for n in range(4):
        before = wf.sms_count(sms_sink, alice.phone, wf.STEP_UP_SMS)
        asked = await wf.send(alice, bob, amount="50000.00", key=f"day-{n}")
        assert asked["__typename"] == "VerificationRequiredError"
        code = await sms_sink.code_for(alice.phone, skip=before, contains=wf.STEP_UP_SMS)
        assert (await wf.send(alice, bob, amount="50000.00", key=f"day-{n}", step_up_code=code))[
            "__typename"] == "TransferSuccess"
    snapshot = await wf.ledger_snapshot()
    over = await wf.send(alice, bob, amount="0.01")
    assert over == {"__typename": "LimitExceededError", "code": "LIMIT_EXCEEDED",
                    "message": "This payment is over what you may still send today.", "limit": "DAILY",
                    "limitAmount": {"amount": "200000.00"}, "remaining": {"amount": "0.00"}}
    assert await wf.ledger_snapshot() == snapshot
    limits = await alice.client.gql("{ wallet { limits { sentToday { amount } dailyRemaining { amount } } } }")
    assert limits["wallet"]["limits"] == {"sentToday": {"amount": "200000.00"}, "dailyRemaining": {"amount": "0.00"}}
    # receiving does not count against the receiver's limit
    assert (await wf.send(bob, alice, amount="0.01"))["__typename"] == "TransferSuccess"


async def test_withdrawals_count_against_the_daily_outgoing_limit(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "200000.01")
    assert (await wf.withdraw(alice, "199999.00"))["__typename"] == "TransferSuccess"
    snapshot = await wf.ledger_snapshot()
    over = await wf.send(alice, bob, amount="1.01")
    assert (over["__typename"], over["limit"], over["remaining"]) == ("LimitExceededError", "DAILY", {"amount": "1.00"})
    assert await wf.ledger_snapshot() == snapshot
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"
    snapshot = await wf.ledger_snapshot()
    refused = await wf.withdraw(alice, "0.01")
    assert refused == {"__typename": "LimitExceededError", "code": "LIMIT_EXCEEDED",
                       "message": "This payment is over what you may still send today.", "limit": "DAILY",
                       "limitAmount": {"amount": "200000.00"}, "remaining": {"amount": "0.00"}}
    assert await wf.ledger_snapshot() == snapshot
    assert await wf.balance(alice) == "0.01"
    limits = await alice.client.gql("{ wallet { limits { sentToday { amount } dailyRemaining { amount } } } }")
    assert limits["wallet"]["limits"] == {"sentToday": {"amount": "200000.00"}, "dailyRemaining": {"amount": "0.00"}}


async def test_red_packets_count_against_the_daily_outgoing_limit(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "200000.01")
    direct = await chat.start(alice.account, bob.account)
    assert (await rp.send(alice, direct["id"], "49999.00", 1, split="EQUAL"))["__typename"] == "RedPacketSent"
    assert (await wf.withdraw(alice, "150000.00"))["__typename"] == "TransferSuccess"
    snapshot = await wf.ledger_snapshot()
    over = await wf.send(alice, bob, amount="1.01")
    assert (over["__typename"], over["limit"], over["remaining"]) == ("LimitExceededError", "DAILY", {"amount": "1.00"})
    assert await wf.ledger_snapshot() == snapshot


async def test_records_page_by_keyset_and_filter(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                 sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "50.00")
    for n in range(1, 5):
        assert (await wf.send(alice, bob, amount=f"{n}.00", memo=f"#{n}"))["__typename"] == "TransferSuccess"
    assert (await wf.send(bob, alice, amount="0.50", memo="change"))["__typename"] == "TransferSuccess"
    page1 = (await alice.client.gql(RECORDS, {"first": 2}))["wallet"]["transactions"]
    assert [(e["node"]["kind"], e["node"]["amount"]["amount"], e["node"]["balanceAfter"]["amount"],
             e["node"]["memo"]) for e in page1["edges"]] == [
        ("RECEIVED", "0.50", "40.50", "change"), ("SENT", "-4.00", "40.00", "#4")]
    assert (page1["pageInfo"]["hasNextPage"], page1["pageInfo"]["hasPreviousPage"]) == (True, False)
    page2 = (await alice.client.gql(RECORDS, {"first": 2, "after": page1["pageInfo"]["endCursor"]}))
    assert [e["node"]["memo"] for e in page2["wallet"]["transactions"]["edges"]] == ["#3", "#2"]
    page3 = await alice.client.gql(RECORDS, {"first": 2, "after": page2["wallet"]["transactions"]["pageInfo"][
        "endCursor"]})
    assert [e["node"]["kind"] for e in page3["wallet"]["transactions"]["edges"]] == ["SENT", "TOP_UP"]
    assert page3["wallet"]["transactions"]["pageInfo"]["hasNextPage"] is False
    sent = await alice.client.gql(RECORDS, {"first": 10, "filter": {"kinds": ["SENT"]}})
    assert [e["node"]["memo"] for e in sent["wallet"]["transactions"]["edges"]] == ["#4", "#3", "#2", "#1"]
    future = await alice.client.gql(RECORDS, {"first": 10, "filter": {"from": "2999-01-01T00:00:00+08:00"}})
    assert future["wallet"]["transactions"]["edges"] == []
    past = await alice.client.gql(RECORDS, {"first": 10, "filter": {"to": "2000-01-01T00:00:00+08:00"}})
    assert past["wallet"]["transactions"]["edges"] == []
    for bad in ({"first": 0}, {"first": 101}, {"first": 2, "after": "bm90IGEgY3Vyc29y"}):
        response = await alice.client.post(RECORDS, bad)
        assert response.json()["errors"][0]["message"].startswith(("first: must be 1 to 100", "after: is not"))


async def test_a_transfer_is_visible_to_its_parties_only(client: GraphQLClient, sms_sink: SmsSink,
                                                         new_client: Callable[..., GraphQLClient]) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "5.00")
    sent = await wf.send(alice, bob, amount="5.00", memo="all of it")
    transfer_id = sent["transfer"]["id"]
    seen = (await alice.client.gql(TRANSFER, {"id": transfer_id}))["transfer"]
    assert seen == {"id": transfer_id, "kind": "P2P", "state": "COMPLETED", "amount": {"amount": "5.00"},
                    "memo": "all of it",
                    "parties": [{"displayName": "Alice", "realNameMasked": "**明"},
                                {"displayName": "Bob", "realNameMasked": "**明"}],
                    "journal": [{"kind": "TRANSFER", "entries": [
                        {"accountKind": "USER_WALLET", "yours": True, "amount": {"amount": "-5.00"}},
                        {"accountKind": "USER_WALLET", "yours": False, "amount": {"amount": "5.00"}}]}]}
    bob_view = (await bob.client.gql(TRANSFER, {"id": transfer_id}))["transfer"]
    assert [e["yours"] for e in bob_view["journal"][0]["entries"]] == [False, True]
    stranger = await wf.wallet_user(new_client(), sms_sink, name="Eve")
    assert (await stranger.client.gql(TRANSFER, {"id": transfer_id})) == {"transfer": None}
    assert (await stranger.client.gql("query($id: ID!) { node(id: $id) { id } }", {"id": transfer_id})) == {
        "node": None}
    assert (await alice.client.gql("query($id: ID!) { node(id: $id) { ... on Transfer { state } } }",
                                   {"id": transfer_id})) == {"node": {"state": "COMPLETED"}}
    missing = await stranger.client.gql(TRANSFER, {"id": "VHJhbnNmZXI6OTk5OTk5OQ=="})
    assert missing == {"transfer": None}


async def test_payer_without_wallet_is_told_to_open_one(client: GraphQLClient, sms_sink: SmsSink,
                                                        new_client: Callable[..., GraphQLClient]) -> None:
    account = await flows.register(client, sms_sink)
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    answer = await client.mutate("sendMoney", wf.SEND_MONEY, wf.send_input(to_user=bob.user_id, amount="1.00"))
    assert answer["__typename"] == "VerificationRequiredError"
    assert answer["missing"] == [{"name": "WALLET", "purpose": None}]
    assert not await User.filter(phone=account.phone, wallet__id__gt=0).exists()


RECORDS_WITH_TRANSFERS = """query($first: Int!) { wallet { transactions(first: $first) { edges { node {
  kind counterparty { displayName }
  transfer { state parties { displayName realNameMasked } journal { kind entries { accountKind yours } } } } } } } }"""


async def _statements_for(who: WalletAccount, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """How many SQL statements the server ran for this query, and its data."""
    with queries.statements() as run:
        data = await who.client.gql(query, variables)
    return len(run), data


async def test_records_cost_the_same_queries_for_2_or_20_transfers(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink, "30.00")
    for n in range(1, 21):
        assert (await wf.send(alice, bob, amount="1.00", memo=f"#{n}"))["__typename"] == "TransferSuccess"
    await _statements_for(alice, RECORDS_WITH_TRANSFERS, {"first": 1})  # the session's first use is warm now

    small, two = await _statements_for(alice, RECORDS_WITH_TRANSFERS, {"first": 2})
    large, twenty = await _statements_for(alice, RECORDS_WITH_TRANSFERS, {"first": 20})

    edges = twenty["wallet"]["transactions"]["edges"]
    assert len(edges) == 20
    assert edges[0]["node"] == two["wallet"]["transactions"]["edges"][0]["node"] == {
        "kind": "SENT", "counterparty": {"displayName": "Bob"},
        "transfer": {"state": "COMPLETED",
                     "parties": [{"displayName": "Alice", "realNameMasked": "**明"},
                                 {"displayName": "Bob", "realNameMasked": "**明"}],
                     "journal": [{"kind": "TRANSFER", "entries": [{"accountKind": "USER_WALLET", "yours": True},
                                                                  {"accountKind": "USER_WALLET", "yours": False}]}]}}
    # the session's user (on PostgreSQL none: the session cache holds the user's row), wallet, the
    # entries with their transfers and counterparties (one statement on PostgreSQL; on SQLite the entries
    # with journal and transfer, then users and identities), parties (2: users, identities), journals
    # (3: journals, entries, accounts)
    expected = 7 if backend() == "postgres" else 10
    assert (small, large) == (expected, expected)
