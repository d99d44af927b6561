"""The GraphQL documents of each workload and the request pools wrk draws from uniformly."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from strawberry import relay

from bench.seed import PASSWORD, PIN, Seeded

SEND_MONEY = ("mutation($input: SendMoneyInput!) { sendMoney(input: $input) { __typename "
              "... on TransferSuccess { transfer { id } wallet { balance { amount } } } "
              "... on Error { code message } } }")
SEND_MESSAGE = ("mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename "
                "... on MessageSuccess { chatMessage { id } } ... on Error { code message } } }")
HISTORY = ("query($id: ID!) { conversation(id: $id) { messages(last: 50) { edges { node { "
           "id kind text createdAt author { id displayName } } } pageInfo { hasPreviousPage } } } }")
CONVERSATIONS = ("{ conversations(first: 20) { edges { node { id kind title lastActivityAt unreadCount "
                 "lastMessage { id text } } } } }")
ME = ("{ me { wallet { balance { amount currency } transactions(first: 20) { edges { node { "
      "id kind amount { amount } balanceAfter { amount } counterparty { id displayName } createdAt } } } } } }")
LOGIN = ("mutation($input: LoginInput!) { login(input: $input) { __typename "
         "... on SessionPayload { token } ... on Error { code message } } }")
TYPENAME = "{ __typename }"
PEER_TRANSFER = "mutation($a: Int!, $b: Int!) { transfer(fromId: $a, toId: $b, amount: 1) { id } }"


def gid(type_name: str, db_id: int) -> str:
    return relay.to_base64(type_name, db_id)


def body(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}}, separators=(",", ":"), ensure_ascii=False)


def send_money_body(payee_gid: str, key: str = "__KEY__") -> str:
    return body(SEND_MONEY, {"input": {"to": {"userId": payee_gid}, "amount": "0.01", "memo": "", "pin": PIN,
                                       "idempotencyKey": key}})


@dataclass
class HttpWorkload:
    """A wrk workload: where it goes, what a success contains, the requests to draw from."""

    name: str
    target: str  # "product" | "peer"
    marker: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    money: bool = False
    path: str = "/graphql"


def directed(seeded: Seeded) -> list[tuple[int, int]]:
    """Every ring pair in both directions: uniform over the wallets as payer and as payee."""
    ring = [(a, b) for a, b, _ in seeded.pairs if a != 0 and b != 0]
    return ring + [(b, a) for a, b in ring]


POOL = 2000  # requests per workload file: each of wrk's threads parses it, so it stays small


def http_workloads(seeded: Seeded) -> list[HttpWorkload]:
    u = seeded.users
    everything = directed(seeded)
    pairs = random.Random(11).sample(everything, min(POOL, len(everything)))
    conv = {(a, b): c for a, b, c in seeded.pairs}
    group_members = u[: min(200, len(u))]
    return [
        HttpWorkload("sendMoney uniform", "product", "TransferSuccess", money=True, requests=[
            (u[a].token, send_money_body(gid("User", u[b].id))) for a, b in pairs]),
        HttpWorkload("sendMoney hot wallet", "product", "TransferSuccess", money=True, requests=[
            (p.token, send_money_body(gid("User", seeded.hot.id))) for p in u[1:]]),
        HttpWorkload("node transfer uniform", "peer", '"transfer"', money=True, path="/", requests=[
            ("", body(PEER_TRANSFER, {"a": a + 1, "b": b + 1})) for a, b in pairs]),
        HttpWorkload("sendMessage direct", "product", "MessageSuccess", requests=[
            (u[a].token, body(SEND_MESSAGE, {"input": {"conversationId": gid("Conversation", conv.get((a, b)) or
                                                                              conv[(b, a)]), "text": "bench"}}))
            for a, b in pairs]),
        HttpWorkload("sendMessage group of 200", "product", "MessageSuccess", requests=[
            (m.token, body(SEND_MESSAGE, {"input": {"conversationId": gid("Conversation", seeded.group_id),
                                                    "text": "bench"}})) for m in group_members]),
        HttpWorkload("history page of 50", "product", '"edges"', requests=[
            (u[side].token, body(HISTORY, {"id": gid("Conversation", c)})) for a, b, c in seeded.chats
            for side in (a, b)]),
        HttpWorkload("conversations(first: 20)", "product", '"edges"', requests=[
            (x.token, body(CONVERSATIONS)) for x in u]),
        HttpWorkload("me wallet transactions(20)", "product", '"transactions"', requests=[
            (x.token, body(ME)) for x in u]),
        HttpWorkload("login", "product", "SessionPayload", requests=[
            ("", body(LOGIN, {"input": {"phone": x.phone, "password": PASSWORD}})) for x in u]),
        HttpWorkload("{ __typename }", "product", '"Query"', requests=[("", body(TYPENAME))]),
        HttpWorkload("node { __typename }", "peer", '"Query"', path="/", requests=[("", body(TYPENAME))]),
    ]
