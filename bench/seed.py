"""Seeding through the services, in the harness process, against the database the server uses.

Every user is made as the app makes one: a REGISTER code (read back from the outbox the delivery
worker drains to the SMS sink), register, identity, PIN, wallet, a card bound with the issuer's
code, and a top-up through the card processor. Conversations and messages come from the chat
services. The only shortcut: the seeding process memoises argon2 (every bench user has the same
password and PIN, so one hash each is computed and reused); the server verifies them at full cost.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from stdnum import luhn
from stdnum.cn import ric
from tortoise import Tortoise

from app.cards.binding import bind_card, confirm_binding
from app.chat.conversations import start_conversation
from app.chat.messages import send_message
from app.identity.accounts import register, request_code
from app.identity.documents import DocumentType
from app.identity.verification import submit_identity
from app.payments.funding import top_up
from app.payments.wallets import open_wallet
from app.pin.service import set_pin
from app.runtime import Runtime
from app.settings import Settings
from app.verification.codes import Purpose
from models import LedgerAccount, OutboundMessage, User
from models.events import Channel

PASSWORD = "bench correct horse battery"
PIN = "135792"
REAL_NAME = "王小明"
BALANCE_MINOR = 1_000_000  # 10,000.00 each: far from any limit at 0.01 a transfer
GROUP_SIZE = 200
PARTNERS = 10  # each user has direct conversations with the next 10 (so 20 partners, 21+ conversations)

# Each table's ids start at a base of its own (1.00e9, 1.05e9, ...), so any id seen in captured SQL
# names its table, and ids of different tables never look alike (see capture.py). All stay below
# 2**31, the range of the advisory-lock keys the event stream derives from user ids.
ID_BASE = 1_000_000_000
ID_STRIDE = 15_000_000  # 70 sequences fit below 2^31, so every table (int ids too) gets a range of its own


class SeedHasher:
    """The app's Hasher, computing each distinct secret once (seeding only)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._memo: dict[tuple[str, ...], Any] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    async def _once(self, key: tuple[str, ...], call: Any) -> Any:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._memo:
                self._memo[key] = await call()
            return self._memo[key]

    async def hash_password(self, password: str) -> str:
        return await self._once(("hp", password), lambda: self._inner.hash_password(password))

    async def verify_password(self, stored: str | None, password: str) -> bool:
        return await self._once(("vp", stored or "", password), lambda: self._inner.verify_password(stored, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class BenchUser:
    index: int
    id: int
    phone: str
    token: str
    wallet_id: int


@dataclass
class Seeded:
    users: list[BenchUser]
    pairs: list[tuple[int, int, int]]  # (user index a, user index b, direct conversation id)
    group_id: int = 0
    chats: list[tuple[int, int, int]] = field(default_factory=list)  # pairs with a message history
    total_minor: int = 0

    @property
    def hot(self) -> BenchUser:
        return self.users[0]

    def conversation(self, a: int, b: int) -> int:
        """The direct conversation of users a and b (by index)."""
        if not hasattr(self, "_direct"):
            self._direct = {frozenset((x, y)): c for x, y, c in self.pairs}
        return self._direct[frozenset((a, b))]


def settings_from_env(env: dict[str, str], *, pool: int = 20) -> Settings:
    known = set(Settings.model_fields)
    values: dict[str, Any] = {k.lower(): v for k, v in env.items() if k.lower() in known}
    values["database_url"] = values["database_url"].split("?")[0] + f"?maxsize={pool}"
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def offset_sequences() -> None:
    conn = Tortoise.get_connection("default")
    rows = await conn.execute_query_dict(
        "SELECT schemaname, sequencename, max_value FROM pg_sequences WHERE schemaname = 'public' "
        "ORDER BY sequencename")
    if ID_BASE + len(rows) * ID_STRIDE >= 2**31:
        raise RuntimeError(f"{len(rows)} sequences do not fit the id ranges: lower ID_STRIDE")
    for n, row in enumerate(rows):
        await conn.execute_query(f"SELECT setval('\"{row['sequencename']}\"', {ID_BASE + n * ID_STRIDE})")


async def _code(rt: Runtime, sms: Any, recipient: str, contains: str) -> str:
    """The latest code to `recipient`: from the SMS sink once delivered, else from the sealed outbox row."""
    for _ in range(1000):
        delivered = [m["text"] for m in sms.to(recipient) if contains in m["text"]]
        texts = delivered[-1:]
        if not texts:
            row = await OutboundMessage.filter(recipient=recipient).order_by("-id").first()
            if row is not None and row.body_sealed and row.sent_at is None:
                try:
                    texts = [rt.keyring.unseal(row.body_sealed)]
                except ValueError:  # erased by the delivery worker just now: it is in the sink
                    texts = []
        match = re.search(r"\b([0-9]{6})\b", texts[0]) if texts and contains in texts[0] else None
        if match is not None:
            return match.group(1)
        await asyncio.sleep(0.02)
    raise RuntimeError(f"no code for {recipient}")


def _visa(rng: random.Random) -> str:
    body = "4" + "".join(rng.choice("0123456789") for _ in range(14))
    return body + luhn.calc_check_digit(body)


async def _user(rt: Runtime, sms: Any, n: int, rng: random.Random) -> BenchUser:
    phone = f"+86139{n:08d}"
    address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    await request_code(rt, channel=Channel.SMS, purpose=Purpose.REGISTER, destination=phone,
                       client_address=address, viewer=None)
    code = await _code(rt, sms, phone, "sign-up")
    token, session = await register(rt, phone=phone, code=code, password=PASSWORD, display_name=f"Bench {n}",
                                    email=None, device_name="bench", client_address=address)
    user = await User.get(id=session.user_id)  # type: ignore[attr-defined]
    birth = date(1960, 1, 1) + timedelta(days=n)
    body = "110105" + birth.strftime("%Y%m%d") + "123"
    await submit_identity(rt, user, real_name=REAL_NAME, document_type=DocumentType.RESIDENT_ID,
                          document_number=body + ric.calc_check_digit(body + "0"), date_of_birth=birth)
    await set_pin(rt, user, PIN)
    wallet = await open_wallet(rt, user)
    card = await bind_card(rt, user, number=_visa(rng), expiry_month=12, expiry_year=2031, cvv="123",
                           holder_name=REAL_NAME, pin=PIN)
    await confirm_binding(rt, user, card.id, await _code(rt, sms, phone, "link your card"))
    await top_up(rt, user, card_id=card.id, amount_minor=BALANCE_MINOR, pin=PIN, idempotency_key=str(uuid.uuid4()))
    return BenchUser(index=n, id=user.id, phone=phone, token=token, wallet_id=wallet.id)


async def _pool(items: list[Any], work: Any, concurrency: int) -> list[Any]:
    out: list[Any] = [None] * len(items)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(items)):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            out[i] = await work(items[i])

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


async def seed(rt: Runtime, sms: Any, *, wallets: int, chats: int, history: int, concurrency: int = 12) -> Seeded:
    rt.hasher = SeedHasher(rt.hasher)  # type: ignore[assignment]
    rng = random.Random(20261201)
    users: list[BenchUser] = await _pool(list(range(wallets)), lambda n: _user(rt, sms, n, rng), concurrency)
    models = {u.index: await User.get(id=u.id) for u in users}

    # Direct conversations: each user with the next PARTNERS users (ring), and everyone with the hot wallet.
    wanted = sorted({(a, (a + k) % wallets) for a in range(wallets) for k in range(1, PARTNERS + 1)}
                    | {(0, b) for b in range(1, wallets)})

    async def direct(pair: tuple[int, int]) -> tuple[int, int, int]:
        a, b = pair
        conversation = await start_conversation(rt, models[a], member_ids=[users[b].id], title="")
        return a, b, conversation.id

    pairs = await _pool(wanted, direct, concurrency)
    group_members = [u.id for u in users[: min(GROUP_SIZE, wallets)]]
    group = await start_conversation(rt, models[0], member_ids=group_members, title="Bench group")

    ring = [p for p in pairs if p[0] != 0 or p[1] <= PARTNERS]
    chat_pairs = rng.sample(ring, min(chats, len(ring)))

    async def talk(pair: tuple[int, int, int]) -> None:
        a, b, conversation_id = pair
        for m in range(history):
            author = models[a] if m % 2 == 0 else models[b]
            await send_message(rt, author, conversation_id=conversation_id, text=f"bench message {m}",
                               client_message_id=None)

    await _pool(chat_pairs, talk, concurrency)
    total = sum(w.balance_minor for w in await LedgerAccount.filter(id__in=[u.wallet_id for u in users]))
    return Seeded(users=users, pairs=pairs, group_id=group.id, chats=chat_pairs, total_minor=total)
