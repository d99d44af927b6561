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
from schema.chat.mutations import ChatMutation
from schema.chat.queries import ChatQuery
from schema.extensions import CleanVariables, MaskUnexpectedErrors, NoBadCharacters, SensitiveFieldsOnce
from schema.scalars import SCALAR_MAP
from schema.social.acceptance import AcceptanceMutation
from schema.social.mutations import SocialMutation, SocialQuery
from schema.social.refunds import RefundMutation
from schema.social.request_reminders import RequestReminderMutation
from schema.users.mutations import UserMutation
from schema.users.queries import UserQuery
from schema.wallet.cards import CardMutation
from schema.wallet.mutations import WalletMutation
from schema.wallet.queries import WalletQuery
from subscriptions.root import Subscription
from subscriptions.types import ALL_TYPES as STREAM_EVENT_TYPES


@strawberry.type
class Query(UserQuery, ChatQuery, WalletQuery, SocialQuery):
    node: relay.Node | None = relay.node(description="Any object the caller may see, by global id; "
                                                     "others are indistinguishable from missing.")


@strawberry.type
class Mutation(UserMutation, ChatMutation, WalletMutation, CardMutation, SocialMutation, AcceptanceMutation,
               RefundMutation, RequestReminderMutation):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    # The depth and alias limiters build a new rule class per instance, and the validation cache is
    # keyed by the rules: built per request they made every request miss it (about 27 ms of CPU
    # each). Built once here, the rules are the same objects for every request and stay cached.
    rules = [*QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
             SensitiveFieldsOnce, NoBadCharacters]
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        CleanVariables,
        MaskUnexpectedErrors,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription,
                             types=STREAM_EVENT_TYPES, extensions=extensions,
                             config=StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALAR_MAP))


def export_sdl() -> str:
    """The schema as SDL, for the committed schema.graphql."""
    return build_schema(Settings(imwallet_env="test")).as_str() + "\n"


__all__: list[Any] = ["build_schema", "export_sdl"]
