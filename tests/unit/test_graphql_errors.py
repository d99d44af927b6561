"""Unexpected errors are masked with a reference the log also carries; domain errors keep their code."""

from __future__ import annotations

import logging
import re

import pytest
import strawberry

from app.errors import RateLimited
from schema.extensions import MaskUnexpectedErrors


@strawberry.type
class _Query:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("connection to db-7 failed: password=hunter2")

    @strawberry.field
    def limited(self) -> str:
        raise RateLimited(retry_after_seconds=42)

    @strawberry.field
    def fine(self) -> str:
        return "ok"


_SCHEMA = strawberry.Schema(query=_Query, extensions=[MaskUnexpectedErrors])


async def test_unexpected_error_is_masked_with_a_reference_that_the_log_carries(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="imwallet.graphql"):
        result = await _SCHEMA.execute("{ fine boom }")
    assert result.data is None  # `boom` is non-null, so the error nulls the whole result
    assert result.errors is not None
    assert len(result.errors) == 1
    error = result.errors[0]
    match = re.fullmatch(r"Unexpected error\. Quote reference ([0-9a-f]{12}) to support\.", error.message)
    assert match, error.message
    reference = match.group(1)
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "reference": reference}
    assert error.path == ["boom"]
    assert "hunter2" not in str(error.formatted)
    logged = [r for r in caplog.records if r.name == "imwallet.graphql" and reference in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "hunter2" in str(logged[0].exc_info[1])


async def test_each_unexpected_error_gets_its_own_reference() -> None:
    first = await _SCHEMA.execute("{ boom }")
    second = await _SCHEMA.execute("{ boom }")
    assert first.errors
    assert second.errors
    assert first.errors[0].extensions["reference"] != second.errors[0].extensions["reference"]  # type: ignore[index]


async def test_domain_error_outside_a_union_keeps_its_message_and_code(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="imwallet.graphql"):
        result = await _SCHEMA.execute("{ limited }")
    assert result.errors is not None
    assert [(e.message, e.extensions, e.path) for e in result.errors] == [
        ("Too many attempts; try again in 42 s.", {"code": "RATE_LIMITED"}, ["limited"])]
    assert [r for r in caplog.records if r.name == "imwallet.graphql"] == []
