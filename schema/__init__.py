"""The GraphQL schema: one root per operation type, assembled from the domain folders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from app.settings import Settings
from schema.extensions import CleanVariables, MaskUnexpectedErrors, NoBadCharacters, SensitiveFieldsOnce
from schema.users.mutations import UserMutation
from schema.users.queries import UserQuery


@strawberry.type
class Query(UserQuery):
    node: relay.Node | None = relay.node(description="Any object the caller may see, by global id; "
                                                     "others are indistinguishable from missing.")


@strawberry.type
class Mutation(UserMutation):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules([SensitiveFieldsOnce, NoBadCharacters]),
        CleanVariables,
        MaskUnexpectedErrors,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions,
                             config=StrawberryConfig(disable_field_suggestions=True))


def export_sdl() -> str:
    """The schema as SDL, for the committed schema.graphql."""
    return build_schema(Settings(imwallet_env="test")).as_str() + "\n"


__all__: list[Any] = ["build_schema", "export_sdl"]
