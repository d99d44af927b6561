"""The README's and docs/frontend.md's GraphQL blocks, run as written, in order, on a fresh server.

Each ```graphql block is preceded by an HTML comment (invisible on the rendered page) that says how
a reader would run it: `<!-- docs-test: as=alice code=+8613800138000 save=card.id:bindCard.card.id
expect=InsufficientFundsError take=3 live -->`.
- `as=NAME`: with NAME's token in the headers (saved earlier as `NAME.token`); anonymous without.
- `code=PHONE`: `<code>` is the newest code texted to PHONE since the block before this one;
  `mailcode=ADDRESS`: the same for mail.
- `save=VAR:path,...`: remember a value of the answer (`data` paths; list items by index).
- `expect=Type`: the first root field answers this `__typename` (error examples); otherwise no
  root field may answer an `...Error` type, and no answer may carry `errors`.
- `take=N` (subscriptions): N events must arrive; `live`: they are caused by the next block.
`<name>` placeholders are filled from what was saved. Every operation of a block runs, in order.
A doc that stops working fails here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from graphql import OperationDefinitionNode, OperationType, parse

from app.settings import Settings
from tests.support import databases
from tests.support.client import GraphQLClient
from tests.support.embedded import EmbeddedServer, embedded_server
from tests.support.sinks import MailSink, SmsSink
from tests.support.ws import WsClient

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/frontend.md"]
BLOCK = re.compile(r"(?:<!-- docs-test:(?P<opts>[^>]*)-->\s*\n)?```graphql\n(?P<body>.*?)```", re.DOTALL)
PLACEHOLDER = re.compile(r"<([a-z][\w.]*)>")
CODE = re.compile(r"\b([0-9]{6})\b")

pytestmark = pytest.mark.skipif(databases.backend() == "postgres",
                                reason="each doc runs on a fresh embedded server (SQLite): the sqlite pass")


@dataclass
class Block:
    line: int
    body: str
    opts: dict[str, str]

    @property
    def where(self) -> str:
        return f"line {self.line}"


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start("body"))
        assert m.group("opts") is not None, f"{path.name} line {line}: a graphql block without <!-- docs-test: -->"
        opts = dict(o.split("=", 1) if "=" in o else (o, "") for o in m.group("opts").split())
        found.append(Block(line=line, body=m.group("body"), opts=opts))
    return found


def dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


@dataclass
class Reader:
    """Someone following the doc: the values they noted, and a GraphiQL tab per user."""

    server: EmbeddedServer
    sms: SmsSink
    saved: dict[str, str] = field(default_factory=dict)
    tabs: dict[str, GraphQLClient] = field(default_factory=dict)
    mail: MailSink | None = None
    mail_addresses: set[str] = field(default_factory=set)
    sms_before_last_block: dict[str, int] = field(default_factory=dict)
    mail_before_last_block: dict[str, int] = field(default_factory=dict)

    def tab(self, user: str | None) -> GraphQLClient:
        name = user or ""
        if name not in self.tabs:
            self.tabs[name] = GraphQLClient(self.server.base_url)
        self.tabs[name].token = self.saved[f"{name}.token"] if name else None
        return self.tabs[name]

    async def fill(self, block: Block) -> str:
        values = dict(self.saved)
        if "code" in block.opts:
            phone = block.opts["code"]
            values["code"] = await self.texted_code(phone)
        if "mailcode" in block.opts:
            values["code"] = await self.mailed_code(block.opts["mailcode"])
        missing = {m for m in PLACEHOLDER.findall(block.body) if m not in values}
        assert not missing, f"{block.where}: nothing earlier gave {missing}"
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], block.body)

    async def texted_code(self, phone: str) -> str:
        """The newest code among the texts to `phone` since the block before this one."""
        for _ in range(200):
            texts = [m["text"] for m in self.sms.to(phone)[self.sms_before_last_block.get(phone, 0):]]
            codes = [c for t in texts for c in CODE.findall(t)]
            if codes:
                return codes[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no code texted to {phone}")

    async def mailed_code(self, address: str) -> str:
        assert self.mail is not None
        skip = self.mail_before_last_block.get(address, 0)
        return await self.mail.code_for(address, skip=skip)

    async def run(self, block: Block) -> dict[str, Any]:
        text = await self.fill(block)
        document = parse(text)
        self.sms_before_last_block = {m["to"]: len(self.sms.to(m["to"])) for m in self.sms.messages}
        if self.mail is not None:
            self.mail_before_last_block = {a: len(self.mail.to(a)) for a in self.mail_addresses}
        data: dict[str, Any] = {}
        tab = self.tab(block.opts.get("as"))
        for op in document.definitions:
            assert isinstance(op, OperationDefinitionNode), f"{block.where}: only operations, please"
            name = op.name.value if op.name else None
            response = await tab.http.post(f"{self.server.base_url}/graphql", headers=tab.headers(),
                                           json={"query": text, "operationName": name})
            body = response.json()
            assert response.status_code == 200, (block.where, body)
            assert "errors" not in body, (block.where, body["errors"])
            if op.operation == OperationType.MUTATION:
                assert all("__typename" in v for v in body["data"].values()), \
                    f"{block.where}: select __typename on a mutation's result union, so readers see failures"
            self.check(block, body["data"])
            data.update(body["data"])
        self.note(block, data)
        return data

    def note(self, block: Block, answer: Any) -> None:
        """What the block's `save=` asks the reader to remember from its answer."""
        for pair in filter(None, block.opts.get("save", "").split(",")):
            var, path = pair.split(":", 1)
            self.saved[var] = dig(answer, path)

    def check(self, block: Block, data: dict[str, Any]) -> None:
        answers = [v.get("__typename") for v in data.values() if isinstance(v, dict)]
        if "expect" in block.opts:
            assert answers[:1] == [block.opts["expect"]], (block.where, data)
        else:
            assert not [a for a in answers if a and a.endswith("Error")], (block.where, data)

    async def subscribe(self, block: Block) -> tuple[WsClient, str]:
        user = block.opts.get("as")
        ws = await WsClient.connect(self.server.ws_url, self.saved[f"{user}.token"] if user else None)
        return ws, await ws.subscribe(await self.fill(block))

    async def received(self, block: Block, ws: WsClient, op: str) -> None:
        try:
            events = await ws.take(op, int(block.opts.get("take", "1")))
        finally:
            await ws.close()
        self.note(block, events)

    async def close(self) -> None:
        for tab in self.tabs.values():
            await tab.aclose()


def is_subscription(block: Block) -> bool:
    return any(isinstance(d, OperationDefinitionNode) and d.operation == OperationType.SUBSCRIPTION
               for d in parse(PLACEHOLDER.sub("x", block.body)).definitions)


@pytest_asyncio.fixture
async def embedded(settings: Settings, tmp_path: Path) -> AsyncIterator[EmbeddedServer]:
    async with embedded_server(settings, tmp_path) as running:
        yield running


@pytest.mark.parametrize("doc", DOCS)
async def test_doc_blocks_run_as_written_in_order(doc: str, embedded: EmbeddedServer, sms_sink: SmsSink,
                                                  mail_sink: MailSink) -> None:
    blocks = blocks_of(ROOT / doc)
    assert len(blocks) >= 10
    reader = Reader(server=embedded, sms=sms_sink, mail=mail_sink,
                    mail_addresses={b.opts["mailcode"] for b in blocks if "mailcode" in b.opts})
    live: tuple[Block, WsClient, str] | None = None
    try:
        for block in blocks:
            if is_subscription(block):
                ws, op = await reader.subscribe(block)
                if "live" in block.opts:
                    live = (block, ws, op)
                else:
                    await reader.received(block, ws, op)
                continue
            await reader.run(block)
            if live is not None:
                await reader.received(*live)
                live = None
        assert live is None, "a live subscription needs a block after it that causes its events"
    finally:
        await reader.close()


def test_frontend_guide_names_every_error_type() -> None:
    from graphql import GraphQLObjectType, build_schema

    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    errors = sorted(name for name, t in schema.type_map.items()
                    if isinstance(t, GraphQLObjectType) and any(i.name == "Error" for i in t.interfaces))
    guide = (ROOT / "docs/frontend.md").read_text(encoding="utf-8")
    assert len(errors) >= 20
    assert [e for e in errors if f"`{e}`" not in guide] == [], "add them to docs/frontend.md's error table"
