"""Custom scalars: money travels as a decimal string, never as Int or Float."""

from __future__ import annotations

from typing import NewType

import strawberry

Decimal = strawberry.scalar(
    NewType("Decimal", str),
    description='An exact decimal amount as a string, e.g. "12.34". Never a float.',
    serialize=str,
    parse_value=lambda v: v if isinstance(v, str) else _refuse(v),
)


def _refuse(value: object) -> str:
    raise ValueError("Decimal must be given as a string such as \"12.34\"")
