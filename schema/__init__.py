"""The GraphQL schema: one root per operation type, assembled from the domain folders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.settings import Settings
from schema.chat.mutations import ChatMutation
from schema.chat.queries import ChatQuery
from schema.codes.mutations import CodeMutation
from schema.codes.queries import CodeQuery
from schema.devices.mutations import DeviceMutation
from schema.devices.queries import DeviceQuery
from schema.extension_runner import LeanExtensionsRunner
from schema.extensions import Budget, log_errors, request_pipeline
from schema.merchants.fields import MerchantMutation, MerchantQuery
from schema.people.account import AccountMutation
from schema.people.contacts import ContactMutation, ContactQuery
from schema.people.push import PushMutation, PushQuery
from schema.people.support import SupportMutation, SupportQuery
from schema.scalars import SCALAR_MAP
from schema.social.acceptance import AcceptanceMutation
from schema.social.mutations import SocialMutation, SocialQuery
from schema.social.refunds import RefundMutation
from schema.social.request_reminders import RequestReminderMutation
from schema.statements.mutations import StatementMutation
from schema.users.mutations import UserMutation
from schema.users.queries import UserQuery
from schema.wallet.cards import CardMutation
from schema.wallet.mutations import WalletMutation
from schema.wallet.queries import WalletQuery
from subscriptions.root import Subscription
from subscriptions.types import ALL_TYPES as STREAM_EVENT_TYPES


@strawberry.type
class Query(UserQuery, ChatQuery, WalletQuery, ContactQuery, PushQuery, SupportQuery, DeviceQuery, SocialQuery,
            MerchantQuery, CodeQuery):
    node: relay.Node | None = relay.node(description="Any object the caller may see, by global id; "
                                                     "others are indistinguishable from missing.")


@strawberry.type
class Mutation(UserMutation, ChatMutation, WalletMutation, CardMutation, ContactMutation,
               PushMutation, SupportMutation, AccountMutation, DeviceMutation, SocialMutation,
               AcceptanceMutation, RefundMutation, RequestReminderMutation, MerchantMutation,
               StatementMutation, CodeMutation):
    pass


class Schema(strawberry.Schema):
    """The schema, logging errors without the document's text (see schema.extensions.log_errors), its
    extension hooks entered by schema.extension_runner."""

    def create_extensions_runner(self, execution_context: ExecutionContext,
                                 extensions: list[SchemaExtension]) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
                       ) -> None:
        log_errors(errors, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    # The budget (one pass, memoised per fragment) runs before graphql-core's rules and refuses alone:
    # strawberry's depth and alias limiters re-expanded every spread (exponential in a 1 KB document).
    budget = Budget(max_depth=settings.max_query_depth, max_aliases=settings.max_aliases,
                    max_fields=settings.max_expanded_fields, max_directives=settings.max_directives)
    # One extension for every stage (the token limit, the extra rules, the cached parse, the budget and
    # the cached validation, the variables check, metrics, masking): strawberry pays per hook per
    # extension per request. Built once here so its caches serve every request.
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        request_pipeline(budget, max_tokens=settings.max_tokens, introspection=settings.introspection_enabled,
                         maxsize=512),
    ]
    return Schema(query=Query, mutation=Mutation, subscription=Subscription,
                  types=STREAM_EVENT_TYPES, extensions=extensions,
                  config=StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALAR_MAP))


def export_sdl() -> str:
    """The schema as SDL, for the committed schema.graphql."""
    return build_schema(Settings(imwallet_env="test")).as_str() + "\n"


__all__: list[Any] = ["build_schema", "export_sdl"]
