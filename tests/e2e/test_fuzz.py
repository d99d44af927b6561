"""A schema-driven fuzz run: seeded hypothesis-graphql documents for every query and mutation, sent as
a signed-in user with a wallet and a card; none may end in INTERNAL_SERVER_ERROR or HTTP 500."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

SCHEMA = graphql.build_schema((Path(__file__).resolve().parents[2] / "schema.graphql").read_text())
DOCUMENTS = 2_000
# Run last, separately: they end the fuzzing session.
SESSION_ENDERS = ("logout", "logoutEverywhere")
CUSTOM_SCALARS = {
    "Decimal": st.one_of(st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False),
                         st.text(max_size=12)).map(nodes.String),
    "Date": st.one_of(st.dates(), st.text(max_size=12)).map(nodes.String),
    "DateTime": st.one_of(st.datetimes(), st.text(max_size=20)).map(nodes.String),
}


def _documents(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` documents from `strategy`, the same ones on every run (derandomised, no database)."""
    found: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


def _is_internal(body: dict[str, object]) -> bool:
    errors = body.get("errors") or []
    return any((e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in errors)  # type: ignore[union-attr]


async def test_no_document_of_the_schema_ends_in_an_internal_error(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    who = await wf.funded_user(client, sms_sink, "100.00")
    await wf.wallet_user(new_client(), sms_sink, name="Bob")
    assert SCHEMA.query_type is not None
    assert SCHEMA.mutation_type is not None
    # one root field per strategy: generating for all fields at once is ten times slower
    query_fields, mutation_fields = list(SCHEMA.query_type.fields), list(SCHEMA.mutation_type.fields)
    # a little over half each (hypothesis stops early on a field with few distinct documents)
    per_query = DOCUMENTS * 6 // 10 // len(query_fields)
    per_mutation = DOCUMENTS * 6 // 10 // len(mutation_fields)
    documents = [d for f in query_fields
                 for d in _documents(queries(SCHEMA, fields=[f], custom_scalars=CUSTOM_SCALARS), per_query)]
    documents += [d for f in mutation_fields if f not in SESSION_ENDERS
                  for d in _documents(mutations(SCHEMA, fields=[f], custom_scalars=CUSTOM_SCALARS), per_mutation)]
    documents += [d for f in SESSION_ENDERS
                  for d in _documents(mutations(SCHEMA, fields=[f], custom_scalars=CUSTOM_SCALARS), 2)]
    assert len(documents) >= DOCUMENTS
    failures: list[tuple[int, str, str]] = []
    gate = asyncio.Semaphore(4)

    async def send(document: str) -> None:
        async with gate:
            response = await who.client.post(document)
        if response.status_code >= 500 or _is_internal(response.json()):
            failures.append((response.status_code, document[:300], response.text[:300]))

    main, enders = documents[:-4], documents[-4:]
    await asyncio.gather(*(send(d) for d in main))
    for document in enders:
        await send(document)
    assert failures == []
