"""schema.extension_runner enters and leaves extension hooks as strawberry's own runner does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from schema.extension_runner import LeanExtensionsRunner


class Boom(Exception):
    pass


def recorder(log: list[str], tag: str, *, swallow: bool = False, replace: bool = False) -> type[SchemaExtension]:
    class Recorder(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            log.append(f"{tag} enter")
            try:
                yield
            except Boom as exc:
                log.append(f"{tag} saw {exc}")
                if replace:
                    raise ValueError(f"{tag} replaced") from exc
                if not swallow:
                    raise
            else:
                log.append(f"{tag} exit")

        def on_parse(self) -> Iterator[None]:
            log.append(f"{tag} parse")
            yield

    return Recorder


async def run_stage(runner_type: type[SchemaExtensionsRunner], extensions: list[SchemaExtension],
                    body_raises: bool) -> tuple[str, Any]:
    runner = runner_type(execution_context=None, extensions=extensions)  # type: ignore[arg-type]
    try:
        async with runner.operation():
            async with runner.parsing():
                pass
            if body_raises:
                raise Boom("body")
    except Exception as exc:
        return "raised", f"{type(exc).__name__}: {exc}"
    return "returned", None


CASES = {
    "clean": ({}, {}, False),
    "raise through both": ({}, {}, True),
    "inner swallows": ({}, {"swallow": True}, True),
    "outer swallows": ({"swallow": True}, {}, True),
    "inner replaces": ({}, {"replace": True}, True),
    "inner replaces, outer swallows nothing it does not know": ({"swallow": True}, {"replace": True}, True),
}


@pytest.mark.parametrize("case", CASES)
def test_lean_runner_matches_strawberrys(case: str) -> None:
    outer, inner, body_raises = CASES[case]
    outcomes = []
    for runner_type in (SchemaExtensionsRunner, LeanExtensionsRunner):
        log: list[str] = []
        extensions = [recorder(log, "a", **outer)(), recorder(log, "b", **inner)()]
        outcome = asyncio.run(run_stage(runner_type, extensions, body_raises))
        outcomes.append((outcome, log))
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][1][:2] == ["a enter", "b enter"]  # entered in order, left in reverse


def test_an_async_hook_is_left_to_strawberrys_runner() -> None:
    log: list[str] = []

    class AsyncHook(SchemaExtension):
        async def on_operation(self) -> AsyncIterator[None]:
            log.append("async enter")
            yield
            log.append("async exit")

    runner = LeanExtensionsRunner(execution_context=None, extensions=[AsyncHook()])  # type: ignore[arg-type]

    async def go() -> None:
        async with runner.operation():
            log.append("body")

    asyncio.run(go())
    assert log == ["async enter", "body", "async exit"]


def test_a_schema_runs_its_hooks_through_the_lean_runner() -> None:
    from schema import Schema  # the product's Schema class (building the whole schema twice in one
    # process trips strawberry's relay field, so a small one)

    @strawberry.type
    class Query:
        @strawberry.field
        def fails(self) -> int:
            raise RuntimeError("secret detail")

    log: list[str] = []
    small = Schema(query=Query, extensions=[recorder(log, "x")])
    assert isinstance(small.create_extensions_runner(None, []), LeanExtensionsRunner)  # type: ignore[arg-type]
    result = small.execute_sync("{ fails }")
    assert result.errors
    assert result.errors[0].message == "secret detail"
    assert log == ["x enter", "x parse", "x exit"]
