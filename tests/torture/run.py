"""The torture run: many clients, thousands of mixed requests, a schedule of faults, one model.

Everything random comes from one seed: each client's sequence of requests (its own random.Random)
and the fault schedule (faults fire when the run has made a given number of requests). A failing
seed therefore replays the same requests and the same faults at the same points of progress; only
the interleaving of requests in flight is the machine's, and the model accepts every interleaving.

Servers: a PostgreSQL cluster and a redis-server of the run's own, two app processes on them (so
two reconcilers compete for pending operations), the SMS and mail sinks of the test suite.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from stdnum import luhn

from tests.faults.harness import App, RedisServer, app_env, pg_cluster, redis_server
from tests.support import money_requests
from tests.support import wallet_flows as wf
from tests.support.sinks import MailSink, SmsSink
from tests.torture.model import CLOSED, DECLINED, OK, POOR, RETRIABLE, WRONG_PIN, Key, Model

log = logging.getLogger("torture")
INITIAL_MINOR = 50_000
FLAKY_CARDS = {"noanswer": "4000000000003014", "slow": "4000000000003022", "lostanswer": "4000000000003030"}
KILL_POINTS = ("transfer.before_commit", "transfer.after_commit", "top_up.before_charge", "top_up.charged",
               "top_up.after_commit", "withdraw.before_commit", "withdraw.paid_out", "withdraw.after_commit")
RECORDS = "query { wallet { balance { amount } transactions(first: 5) { edges { node { id amount { amount } " \
          "balanceAfter { amount } } } } } }"


@dataclass
class Client:
    index: int
    token: str
    cards: dict[str, str]  # behaviour -> card id
    rng: random.Random
    wrong_in_a_row: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass
class Run:
    seed: int
    operations: int
    clients: int
    apps: list[App]
    redis: RedisServer
    model: Model = field(default_factory=Model)
    done: int = 0
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=20))
    users: list[Client] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    requests: bool = True
    conversations: dict[tuple[int, int], str] = field(default_factory=dict)

    async def post(self, client: Client, query: str, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(outcome, payload): the union member, a top-level error code, or TRANSPORT."""
        first = (client.index + self.done) % len(self.apps)
        response = None
        for app in (self.apps[first], self.apps[1 - first]):
            try:  # as a load balancer would: a process that refuses connections is skipped
                response = await self.http.post(
                    f"{app.base_url}/graphql", json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {client.token}",
                             "X-Forwarded-For": f"10.9.0.{client.index + 1}"})
                break
            except httpx.ConnectError:
                continue
            except httpx.TransportError:
                return "TRANSPORT", {}
        if response is None:
            return "TRANSPORT", {}
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}", {}
        if body.get("errors"):
            return str(body["errors"][0].get("extensions", {}).get("code")), {}
        payload = next(iter(body["data"].values()))
        if payload.get("__typename") == "TemporarilyUnavailableError":
            log.info("client %d: %s", client.index, payload.get("message"))
        return str(payload.get("__typename", "data")), payload


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _minor(amount: str) -> int:
    whole, _, cents = amount.lstrip("-").partition(".")
    return (-1 if amount.startswith("-") else 1) * (int(whole) * 100 + int(cents or 0))


def _family(number: str, index: int) -> str:
    """A 19-digit Visa that the sandbox treats like the 16-digit test card (docs/cards.md), one per client."""
    body = number + f"{index:02d}"
    return body + luhn.calc_check_digit(body)


async def _setup_users(run: Run, sms: SmsSink) -> None:
    from tests.support.client import GraphQLClient

    client = GraphQLClient(run.apps[0].base_url)
    try:
        for i in range(run.clients):
            rng = random.Random(f"{run.seed}:{i}")
            client.token = None
            who = await wf.wallet_user(client, sms, name=f"Torture {i}")
            cards = {"approve": await wf.bind_card(who, sms)}
            for behaviour, number in FLAKY_CARDS.items():
                cards[behaviour] = await wf.bind_card(who, sms, number=_family(number, i))
            who.card_id = cards["approve"]
            topped = await wf.top_up(who, _amount(INITIAL_MINOR))
            assert topped["__typename"] == OK, topped
            run.users.append(Client(i, who.account.token, cards, rng))
    finally:
        await client.aclose()


def _next_key(run: Run, c: Client) -> Key:
    rng = c.rng
    roll = rng.random()
    if c.keys and roll < 0.15:  # a retry under a key this client used before
        return run.model.keys[rng.choice(c.keys[-20:])]
    key = f"t{run.seed}-{c.index}-{len(c.keys)}-{uuid.UUID(int=rng.getrandbits(128))}"
    if roll < 0.22 and c.wrong_in_a_row < 2:
        k = Key(key, "wrong_pin", c.index, rng.randint(1, 500), payee=_other(run, c))
    elif roll < 0.33:
        k = Key(key, "top_up", c.index, rng.randint(100, 20_000), card=rng.choice(list(c.cards)))
    elif roll < 0.42:
        k = Key(key, "withdraw", c.index, rng.randint(100, 10_000), card=rng.choice(list(c.cards)))
    elif roll < 0.50:
        k = Key(key, "read", c.index, 0)
    elif roll < 0.56 and run.requests:  # c asks another to pay; the payer pays while c cancels
        k = Key(key, "pay_request", _other(run, c), rng.randint(1, 3_000), payee=c.index)
    else:
        k = Key(key, "send", c.index, rng.randint(1, 5_000), payee=_other(run, c))
    c.wrong_in_a_row = c.wrong_in_a_row + 1 if k.kind == "wrong_pin" else 0
    if k.kind != "read":
        run.model.keys[key] = k
        c.keys.append(key)
    return k


def _other(run: Run, c: Client) -> int:
    return c.rng.choice([u for u in range(run.clients) if u != c.index])


def _user_gid(run: Run, index: int) -> str:
    return _USER_IDS[run.seed][index]


_USER_IDS: dict[int, list[str]] = {}


async def perform(run: Run, c: Client, k: Key) -> None:
    if k.kind == "read":
        await _read(run, c)
        return
    if k.kind == "pay_request":
        outcome, payload = await _pay_request(run, c, k)
    elif k.kind in ("send", "wrong_pin"):
        pin = wf.OTHER_PIN if k.kind == "wrong_pin" else wf.PIN
        variables = wf.send_input(to_user=_user_gid(run, k.payee or 0), amount=_amount(k.amount_minor), key=k.key,
                                  pin=pin)
        outcome, payload = await run.post(c, wf.SEND_MONEY, variables)
    else:
        query = wf.TOP_UP if k.kind == "top_up" else wf.WITHDRAW
        outcome, payload = await run.post(c, query, wf.card_money(c.cards[k.card], _amount(k.amount_minor), k.key))
    transfer = payload.get("transfer") or {}
    if outcome == OK and int(_minor(transfer["amount"]["amount"])) != k.amount_minor:
        run.model.fail(f"{k.key}: transfer of {transfer['amount']} for {_amount(k.amount_minor)}")
    if outcome == POOR and _minor(payload["available"]["amount"]) >= k.amount_minor:
        run.model.fail(f"{k.key}: refused for funds with {payload['available']} available")
    run.model.answer(k, outcome, transfer.get("id"), payload.get("reason") if outcome == DECLINED else None)
    if outcome == WRONG_PIN and k.kind != "wrong_pin":
        run.model.fail(f"{k.key}: the right PIN was refused")


async def _pay_request(run: Run, c: Client, k: Key) -> tuple[str, dict[str, Any]]:
    payer = run.users[k.user]
    variables = {"input": {"requestId": k.request_id, "pin": wf.PIN, "idempotencyKey": k.key}}
    if k.request_id is not None:  # a retry of the payment, by the payer
        return _paid(await run.post(payer, money_requests.PAY, variables))
    requester = run.users[k.payee or 0]
    pair = (min(payer.index, requester.index), max(payer.index, requester.index))
    if pair not in run.conversations:
        outcome, payload = await run.post(requester, _START, {"input": {"memberIds": [_user_gid(run, payer.index)],
                                                                      "title": ""}})
        if outcome != "ConversationSuccess":
            return "TRANSPORT", {}  # nothing asked yet: the key is simply retried later
        run.conversations[pair] = payload["conversation"]["id"]
    outcome, payload = await run.post(requester, money_requests.REQUEST_MONEY, {"input": {
        "conversationId": run.conversations[pair], "amount": _amount(k.amount_minor), "memo": ""}})
    if outcome != "PaymentRequestSuccess":
        return "TRANSPORT", {}
    k.request_id = payload["request"]["id"]
    variables["input"]["requestId"] = k.request_id
    delay = c.rng.random() * 0.01
    paid, cancelled = await asyncio.gather(run.post(payer, money_requests.PAY, variables),
                                           _later(delay, run.post(requester, money_requests.CANCEL,
                                                                  {"input": {"requestId": k.request_id}})))
    run.model.cancels[str(k.request_id)] = [cancelled[0]]
    return _paid(paid)


_START = """mutation($input: StartConversationInput!) { startConversation(input: $input) {
  __typename ... on ConversationSuccess { conversation { id } } ... on Error { code message } } }"""


async def _later(delay: float, call: Any) -> Any:
    await asyncio.sleep(delay)
    return await call


def _paid(answer: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    outcome, payload = answer
    if outcome == "PayRequestSuccess":
        return OK, {"transfer": {"id": payload["transferId"], "amount": payload["request"]["amount"]}}
    return outcome, payload


async def _read(run: Run, c: Client) -> None:
    app = run.apps[(c.index + run.done) % len(run.apps)]
    try:
        response = await run.http.post(f"{app.base_url}/graphql", json={"query": RECORDS},
                                       headers={"Authorization": f"Bearer {c.token}"})
        body = response.json()
    except (httpx.TransportError, ValueError):
        return
    if body.get("errors") or not body.get("data"):
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
        if not codes <= RETRIABLE:
            run.model.fail(f"read: {body.get('errors')}")
        return
    wallet = body["data"]["wallet"]
    if _minor(wallet["balance"]["amount"]) < 0:
        run.model.fail(f"client {c.index} saw a negative balance {wallet['balance']}")
    for edge in wallet["transactions"]["edges"]:
        node = edge["node"]
        run.model.record(node["id"], _minor(node["amount"]["amount"]), _minor(node["balanceAfter"]["amount"]))


async def drive(run: Run, c: Client, share: int) -> None:
    for _ in range(share):
        k = _next_key(run, c)
        await perform(run, c, k)
        run.done += 1


def fault_schedule(seed: int, operations: int) -> list[tuple[int, str]]:
    """(at how many requests, which fault): app kills, kill points, Redis outages."""
    rng = random.Random(f"{seed}:faults")
    schedule = []
    at = rng.randint(50, 150)
    while at < operations * 0.9:
        roll = rng.random()
        if roll < 0.45:
            schedule.append((at, f"kill:{rng.randrange(2)}"))
        elif roll < 0.8:
            schedule.append((at, f"point:{rng.randrange(2)}:{rng.choice(KILL_POINTS)}"))
        else:
            schedule.append((at, "redis"))
        at += rng.randint(100, 300)
    return schedule


async def inject(run: Run, schedule: list[tuple[int, str]], finished: asyncio.Event) -> None:
    for at, fault in schedule:
        while run.done < at and not finished.is_set():
            await asyncio.sleep(0.01)
        if finished.is_set():
            return
        run.faults.append(f"{run.done}:{fault}")
        kind, _, rest = fault.partition(":")
        if kind == "kill":
            app = run.apps[int(rest)]
            app.kill()
            await asyncio.sleep(0.3)
            await app.start()
        elif kind == "point":
            index, _, point = rest.partition(":")
            app = run.apps[int(index)]
            await app.restart(FAULT_KILL_POINT=point)
            for _ in range(40):  # until a request reaches the point, or 2 s
                if not app.alive:
                    break
                await asyncio.sleep(0.05)
            await app.restart()
        else:
            run.redis.kill()
            await asyncio.sleep(run.rng_outage)
            run.redis.start()
    del finished


async def settle_everything(run: Run, seconds: float = 60.0) -> None:
    """After the faults: every key asked again, with the same key, until it has a final answer."""
    for app in run.apps:
        if not app.alive:
            await app.start()
    open_keys = [k for k in run.model.keys.values() if not k.final]
    log.info("settling %d keys", len(open_keys))
    deadline = asyncio.get_running_loop().time() + seconds
    while open_keys and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.5)
        # One request at a time per client, the clients at once.
        await asyncio.gather(*(_settle_user(run, [k for k in open_keys if k.user == u])
                               for u in {k.user for k in open_keys}))
        open_keys = [k for k in open_keys if not k.final]
        log.info("%d keys still open", len(open_keys))
    for k in open_keys:
        run.model.fail(f"{k.key} ({k.kind}, {k.card}) never got a final answer: {k.answers}")


async def _settle_user(run: Run, keys: list[Key]) -> None:
    for k in keys:
        await perform(run, run.users[k.user], k)


async def check_ledger(run: Run) -> None:
    model, app = run.model, run.apps[0]
    code, line = app.audit(pending_bound_seconds=0)
    if code != 0:
        model.fail(f"imwallet audit: {line}")
    rows = await app.rows("SELECT t.id, t.idempotency_key, t.state, t.kind, c.reference FROM transfers t "
                          "LEFT JOIN outside_calls c ON c.transfer_id = t.id")
    stored = {str(r["idempotency_key"]): r for r in rows}
    bank = {str(r["reference"]): (str(r["operation"]), int(str(r["approved"]))) for r in await app.rows(
        "SELECT reference, operation, approved FROM sandbox_issuer_operations")}
    by_id = {_gid("Transfer", int(str(r["id"]))): r for r in rows}
    for k in model.keys.values():
        row = by_id.get(k.transfer_id or "") if k.kind == "pay_request" else stored.get(k.key)
        if k.last == OK and (row is None or row["state"] != "COMPLETED"
                             or _gid("Transfer", int(str(row["id"]))) != k.transfer_id):
            model.fail(f"{k.key}: answered {OK} {k.transfer_id}, the ledger has {row and dict(row)}")
        if k.kind == "pay_request":
            continue
        if k.last == DECLINED and (row is None or row["state"] != "FAILED"):
            model.fail(f"{k.key}: answered {DECLINED}, the ledger has {row and dict(row)}")
        if k.kind in ("top_up", "withdraw") and row is not None:
            charged = bank.get(str(row["reference"]), ("", 0))[1] == 1
            if charged != (row["state"] == "COMPLETED"):
                model.fail(f"{k.key}: the wallet says {row['state']}, the bank {'did' if charged else 'did not'} "
                           "move the money")
    await _check_requests(run, app)
    ledger = await app.rows("SELECT id, amount_minor, balance_after_minor FROM ledger_entries")
    entries = {_gid("WalletTransaction", int(str(r["id"]))):
               (int(str(r["amount_minor"])), int(str(r["balance_after_minor"]))) for r in ledger}
    for entry_id, seen in model.records.items():
        if entries.get(entry_id) != seen:
            model.fail(f"record {entry_id}: a client saw {seen}, the ledger has {entries.get(entry_id)}")
    wallets = {int(str(r["user_id"])): int(str(r["balance_minor"])) for r in await app.rows(
        "SELECT user_id, balance_minor FROM ledger_accounts WHERE kind = 'USER_WALLET'")}
    expected = model.balances(run.clients, INITIAL_MINOR)
    actual = [wallets[int(base64.b64decode(_user_gid(run, i)).decode().split(":")[1])] for i in range(run.clients)]
    if expected != actual:
        model.fail(f"balances: the answers imply {expected}, the ledger has {actual}")


async def _check_requests(run: Run, app: App) -> None:
    """Pay vs cancel: no payment lands on a request after its cancel (issue 9: the state is re-checked
    under the request's lock, so a payment recorded later than the cancel means the check was missed),
    and every answer agrees with the request's final state. A payment before the cancel stays."""
    requests = {_gid("PaymentRequest", int(str(r["id"]))): r for r in await app.rows(
        "SELECT id, state, cancelled_at FROM money_requests")}
    payments = {_gid("Transfer", int(str(r["transfer_id"]))): r for r in await app.rows(
        "SELECT transfer_id, created_at FROM money_request_payments")}
    for k in run.model.keys.values():
        if k.kind != "pay_request" or k.request_id is None:
            continue
        request = requests[k.request_id]
        cancelled = "PaymentRequestSuccess" in run.model.cancels.get(k.request_id, [])
        if cancelled and request["state"] != "cancelled":
            run.model.fail(f"request {k.request_id}: cancelled, but its state is {request['state']}")
        if k.last == OK:
            payment = payments.get(k.transfer_id or "")
            if payment is None:
                run.model.fail(f"request {k.request_id}: paid by {k.transfer_id}, which is not its payment")
            elif request["cancelled_at"] is not None and payment["created_at"] > request["cancelled_at"]:
                run.model.fail(f"request {k.request_id}: paid ({k.transfer_id}) after it was cancelled")
        if k.last == CLOSED and request["state"] != "cancelled":
            run.model.fail(f"request {k.request_id}: refused as closed, but it is {request['state']}")


def _gid(type_name: str, db_id: int) -> str:
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


async def torture(seed: int, operations: int = 2000, clients: int = 8, redis_outage_seconds: float = 2.0,
                  requests: bool = True) -> Run:
    """One seeded run; returns it with its violations (none, if the wallet holds)."""
    sms, mail = SmsSink(), MailSink()
    await sms.start()
    mail.start()
    try:
        with pg_cluster() as pg, redis_server() as redis:
            env = app_env(pg.url, sms_url=sms.url, smtp_port=mail.port, redis_url=redis.url,
                          CARD_CALL_TIMEOUT_SECONDS="2", RECONCILE_AFTER_SECONDS="3")
            apps = [App(env, clock_jumps=False), App(env, clock_jumps=False)]
            apps[0].cluster = pg
            for app in apps:
                await app.start()
            run = Run(seed, operations, clients, apps, redis, requests=requests)
            run.rng_outage = redis_outage_seconds  # type: ignore[attr-defined]
            try:
                await _setup_users(run, sms)
                _USER_IDS[seed] = [await _user_id(run, u) for u in run.users]
                finished = asyncio.Event()
                faults = asyncio.create_task(inject(run, fault_schedule(seed, operations), finished))
                share = operations // clients
                await asyncio.gather(*(drive(run, c, share) for c in run.users))
                finished.set()
                await faults
                await settle_everything(run)
                await check_ledger(run)
            finally:
                await run.http.aclose()
                for app in apps:
                    app.kill()
            return run
    finally:
        mail.stop()
        await sms.stop()


async def _user_id(run: Run, c: Client) -> str:
    response = await run.http.post(f"{run.apps[0].base_url}/graphql", json={"query": "{ me { id } }"},
                                   headers={"Authorization": f"Bearer {c.token}"})
    return str(response.json()["data"]["me"]["id"])
