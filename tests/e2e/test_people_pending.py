"""A payment problem while the bank has not answered: the support case shows the pending top-up and
follows it when the reconciler settles it, and the account cannot be deleted meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from app.payments.receipts import global_id
from models import Transfer
from tests.e2e.test_people_account import DELETE
from tests.e2e.test_people_support import CASE
from tests.e2e.test_support import make_agent, open_ticket
from tests.support import flows
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

LOST_ANSWER_CARD = "4000000000003030"  # the bank charges, the answer is lost (docs/cards.md)


async def test_a_ticket_about_a_pending_top_up_follows_the_reconciler(
        server: RunningServer, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink, name="Alice")
    await wf.bind_card(who, sms_sink, number=LOST_ANSWER_CARD)
    assert (await wf.top_up(who, "30.00", key="pending-ticket"))["__typename"] == "TemporarilyUnavailableError"
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="pending-ticket")
    agent = await flows.register(new_client(), sms_sink, name="Agent")
    assert make_agent(server, agent.phone)[0] == 0
    opened = await open_ticket(who.account, global_id("Transfer", transfer.id), "My top-up has not arrived")
    ticket_id = opened["ticket"]["id"]  # type: ignore[index]

    case = (await agent.client.gql(CASE, {"id": ticket_id}))["ticketCase"]
    assert case["transfer"] == {"transferId": global_id("Transfer", transfer.id), "state": "PENDING",
                                "amount": {"amount": "30.00"}}
    refused = await who.client.mutate("deleteAccount", DELETE, {"input": {"password": flows.PASSWORD}})
    assert (refused["__typename"], refused["reason"]) == ("AccountNotEmptyError", "PENDING_OPERATIONS")

    server.runtime.clock.advance(timedelta(seconds=server.settings.reconcile_after_seconds + 1))
    for _ in range(200):
        await transfer.refresh_from_db()
        if transfer.state != "PENDING":
            break
        await asyncio.sleep(0.05)
    case = (await agent.client.gql(CASE, {"id": ticket_id}))["ticketCase"]
    assert case["transfer"]["state"] == "COMPLETED"
    assert [j["kind"] for j in case["journal"]] == ["TOP_UP"]
    assert await wf.balance(who) == "30.00"
