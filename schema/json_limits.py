"""Nesting limits for JSON from clients, checked without recursion (Python's json recurses)."""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 32


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: linear and fast
_BRACKETS = re.compile(r"[\[\]{}]")


def text_too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if the JSON text opens more than `limit` arrays/objects at once (strings skipped)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):  # a GraphQL document's braces are in a string
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def too_deep(value: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """The same for a decoded value, iteratively."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
