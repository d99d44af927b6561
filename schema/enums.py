"""Domain enums shown as GraphQL enums, each value described.

The services own these enums and cannot import strawberry, so their values' descriptions are given
here, where they are registered; a value without one is an error at import, not a silent gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry


def register_enum(cls: type[Enum], *, name: str, description: str, values: Mapping[str, str]) -> None:
    """Register a domain enum under its GraphQL name, with a description for every value."""
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    missing = {v.name for v in definition.values} - set(values)
    if missing:
        raise ValueError(f"{name}: values without a description: {sorted(missing)}")
    for value in definition.values:
        value.description = values[value.name]
