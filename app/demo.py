"""Demo data for a frontend developer's first minutes: two ready users, their chats and money.

Everything goes through the services a client's mutations call (registration with its SMS code,
identity, PIN, wallet, card binding with the issuer's code, top-up, chat, a transfer, a request),
so the data is exactly what the API would have made. The demo plays both users' phones: it reads
the codes the server queued for them from the SMS outbox and marks those messages delivered.
Run twice, it signs the same users in again instead of making them a second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from app.cards.binding import bind_card, confirm_binding
from app.chat.conversations import start_conversation
from app.chat.messages import send_message
from app.chat.requests import request_money
from app.identity import accounts
from app.identity.documents import DocumentType
from app.identity.verification import submit_identity
from app.ledger.amounts import parse_amount
from app.payments.funding import top_up
from app.payments.receipts import global_id
from app.payments.transfers import send_money
from app.payments.wallets import open_wallet
from app.pin.service import set_pin
from app.runtime import Runtime
from app.verification.codes import Purpose
from models import User
from models.events import Channel, DeliveryStatus, OutboundMessage

PASSWORD = "imwallet demo passphrase"
DEVICE = "imwallet demo"
_CODE = re.compile(r"\b([0-9]{6})\b")


@dataclass(frozen=True)
class Person:
    phone: str
    name: str
    real_name: str
    document_number: str
    born: date
    pin: str
    card_number: str
    top_up: str


ALICE = Person("+8613800138000", "Alice", "王小明", "11010519491231002X", date(1949, 12, 31), "385172",
               "4242424242424242", "500.00")
BOB = Person("+8613900139000", "Bob", "李小红", "110105199003071239", date(1990, 3, 7), "274819",
             "5555555555554444", "200.00")


@dataclass
class DemoUser:
    person: Person
    user_id: str
    token: str
    card_id: str | None = None


@dataclass
class Demo:
    users: list[DemoUser]
    created: bool
    ids: dict[str, str] = field(default_factory=dict)


async def run_demo(rt: Runtime) -> Demo:
    """Make the two demo users and their data, or sign them in again if they exist."""
    existing = await User.filter(phone__in=[ALICE.phone, BOB.phone]).count()
    if existing:
        return Demo(users=[await _sign_in(rt, p) for p in (ALICE, BOB)], created=False)
    (alice, alice_user), (bob, bob_user) = [await _ready_user(rt, p) for p in (ALICE, BOB)]
    return Demo(users=[alice, bob], created=True, ids=await _conversations_and_money(rt, alice_user, bob_user))


async def _sign_in(rt: Runtime, person: Person) -> DemoUser:
    token, session = await accounts.login(rt, phone=person.phone, password=PASSWORD, device_name=DEVICE,
                                          client_address="127.0.0.1")
    return DemoUser(person=person, user_id=global_id("User", session.user_id), token=token)


async def _ready_user(rt: Runtime, p: Person) -> tuple[DemoUser, User]:
    await accounts.request_code(rt, channel=Channel.SMS, purpose=Purpose.REGISTER, destination=p.phone,
                                client_address="127.0.0.1", viewer=None)
    token, session = await accounts.register(rt, phone=p.phone, code=await _read_code(rt, p.phone), password=PASSWORD,
                                             display_name=p.name, email=None, device_name=DEVICE,
                                             client_address="127.0.0.1")
    user = await User.get(id=session.user_id)
    await submit_identity(rt, user, real_name=p.real_name, document_type=DocumentType.RESIDENT_ID,
                          document_number=p.document_number, date_of_birth=p.born)
    await set_pin(rt, user, p.pin)
    await open_wallet(rt, user)
    card = await bind_card(rt, user, number=p.card_number, expiry_month=12, expiry_year=datetime.now(UTC).year + 4,
                           cvv="123", holder_name=p.real_name, pin=p.pin)
    await confirm_binding(rt, user, card.id, await _read_code(rt, p.phone))
    await top_up(rt, user, card_id=card.id, amount_minor=parse_amount(p.top_up, rt.settings.currency), pin=p.pin,
                 idempotency_key=f"demo-top-up-{user.id}")
    return DemoUser(person=p, user_id=global_id("User", user.id), token=token,
                    card_id=global_id("Card", card.id)), user


async def _conversations_and_money(rt: Runtime, alice: User, bob: User) -> dict[str, str]:
    direct = await start_conversation(rt, alice, member_ids=[bob.id], title="")
    for author, text in [(alice, "Hi Bob! Lunch tomorrow?"), (bob, "Sure, 12:30 at the noodle place."),
                         (alice, "I'll pay you back for last time.")]:
        await send_message(rt, author, conversation_id=direct.id, text=text, client_message_id=None)
    sent = await send_money(rt, alice, payee_id=bob.id, amount_minor=parse_amount("12.34", rt.settings.currency),
                            memo="lunch", pin=ALICE.pin, idempotency_key="demo-lunch")
    group = await start_conversation(rt, alice, member_ids=[bob.id], title="Weekend trip")
    await send_message(rt, alice, conversation_id=group.id, text="Who books the train tickets?",
                       client_message_id=None)
    await send_message(rt, bob, conversation_id=group.id, text="I did. 25 each, please.", client_message_id=None)
    request = await request_money(rt, bob, conversation_id=group.id, amount="25.00", memo="train tickets")
    return {"directConversationId": global_id("Conversation", direct.id),
            "groupConversationId": global_id("Conversation", group.id),
            "transferId": global_id("Transfer", sent.transfer.id),
            "requestId": global_id("PaymentRequest", request.id)}


async def _read_code(rt: Runtime, phone: str) -> str:
    """The demo user's phone: the newest queued SMS to it, read and marked delivered."""
    await rt.background.drain()  # code requests queue their SMS after answering (equal-time answers)
    message = await (OutboundMessage.filter(channel=Channel.SMS, recipient=phone, status=DeliveryStatus.PENDING)
                     .order_by("-id").first())
    if message is None:
        raise RuntimeError(f"no SMS queued for {phone}")
    found = _CODE.search(rt.keyring.unseal(message.body_sealed))
    await OutboundMessage.filter(id=message.id).update(status=DeliveryStatus.SENT, body_sealed="",
                                                       sent_at=datetime.now(UTC))
    if found is None:
        raise RuntimeError(f"the SMS to {phone} carries no code")
    return found.group(1)


def describe(demo: Demo, base_url: str) -> str:
    """What to paste: per user, the GraphiQL link, the headers and the PIN; then the objects' ids."""
    lines = ["Demo users " + ("created" if demo.created else "exist already: signed in again") + ".", ""]
    for u in demo.users:
        p = u.person
        lines += [f"{p.name} ({p.phone}, password {PASSWORD!r}, payment PIN {p.pin}, id {u.user_id})",
                  f"  GraphiQL, signed in:  {base_url}/graphql#token={u.token}",
                  f'  headers to paste:     {{"Authorization": "Bearer {u.token}"}}',
                  f'  websocket init:       {{"authToken": "{u.token}"}}']
        if u.card_id:
            lines.append(f"  bound sandbox card:   {u.card_id}")
        lines.append("")
    lines += [f"{name}: {value}" for name, value in demo.ids.items()]
    if demo.ids:
        lines += ["", "Bob has asked the Weekend trip group for 25.00: as Alice, pay it with",
                  f'  mutation {{ payRequest(input: {{requestId: "{demo.ids["requestId"]}", pin: "{ALICE.pin}", '
                  'idempotencyKey: "demo-pay-1"}) { __typename } }']
    lines += ["", "Start the server with `make run` (or `imwallet serve`) and open a link above."]
    return "\n".join(lines)
