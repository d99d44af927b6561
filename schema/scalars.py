"""Custom scalars: money travels as a decimal string, never as Int or Float.

Annotate with the `Decimal` NewType; `SCALAR_MAP` (passed to the schema's config) tells strawberry
how it travels. Passing a class to `strawberry.scalar` is deprecated in strawberry 0.341.
"""

from __future__ import annotations

from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

Decimal = NewType("Decimal", str)


def _refuse(value: object) -> str:
    # A GraphQLError (not ValueError) is reported as a validation error as it is, not masked as internal.
    raise GraphQLError('A Decimal is written as a string such as "12.34", never as a number.',
                       extensions={"code": "BAD_USER_INPUT"})


DECIMAL_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal amount as a string, e.g. "12.34". Never a float.',
    serialize=str,
    parse_value=lambda v: v if isinstance(v, str) else _refuse(v),
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL_SCALAR}
