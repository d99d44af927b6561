"""A masked error quotes the request's id (the one in X-Request-Id and on every log line of it)."""

from __future__ import annotations

import logging

import pytest
import strawberry
from asgi_correlation_id import correlation_id

from schema.extensions import MaskUnexpectedErrors


@strawberry.type
class _Query:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("db down")


_SCHEMA = strawberry.Schema(query=_Query, extensions=[MaskUnexpectedErrors])


async def test_a_masked_error_quotes_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    token = correlation_id.set("5f0c8a4e2b7d4c1e9a3b6d8f0e2c4a6b")
    try:
        with caplog.at_level(logging.ERROR, logger="imwallet.graphql"):
            result = await _SCHEMA.execute("{ boom }")
    finally:
        correlation_id.reset(token)
    assert result.errors is not None
    assert [(e.message, e.extensions) for e in result.errors] == [
        ("Unexpected error. Quote reference 5f0c8a4e2b7d4c1e9a3b6d8f0e2c4a6b to support.",
         {"code": "INTERNAL_SERVER_ERROR", "reference": "5f0c8a4e2b7d4c1e9a3b6d8f0e2c4a6b"})]
    assert ["5f0c8a4e2b7d4c1e9a3b6d8f0e2c4a6b" in r.getMessage() for r in caplog.records
            if r.name == "imwallet.graphql"] == [True]
