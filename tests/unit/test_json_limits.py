"""The JSON nesting check counts brackets outside strings only, without recursion."""

from __future__ import annotations

import json

import pytest

from schema.json_limits import MAX_JSON_DEPTH, text_too_deep, too_deep


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH])
def test_up_to_the_limit_passes(depth: int) -> None:
    assert not text_too_deep(json.dumps(nested(depth)))
    assert not too_deep(nested(depth))


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000])
def test_over_the_limit_is_caught_without_recursion(depth: int) -> None:
    assert text_too_deep("[" * depth + "]" * depth)
    assert too_deep(nested(depth))


def test_brackets_inside_strings_do_not_count() -> None:
    assert not text_too_deep(json.dumps({"query": "{" * 100, "q": "[" * 100}))
    assert not text_too_deep(json.dumps({"a": '\\"' + "[" * 40}))
    assert text_too_deep(json.dumps({"a": "x\\", "b": nested(40)}))
