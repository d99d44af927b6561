"""Limits applied before any resolver runs, and masking of unexpected errors."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
)
from strawberry.extensions import MaskErrors, SchemaExtension

from app.errors import DomainError

log = logging.getLogger("imwallet.graphql")

# Fields that check a secret or move money: at most one of them, once, per document (OWASP
# "prevent batching for sensitive objects"). Aliases and fragments cannot multiply them.
SENSITIVE_FIELDS = frozenset({
    "login", "register", "resetPassword", "requestVerificationCode", "verifyEmail", "addEmail",
    "setPaymentPin", "changePaymentPin", "resetPaymentPin", "openWallet", "bindCard", "confirmCardBinding",
    "removeCard", "topUp", "withdraw", "sendMoney", "payRequest", "submitIdentity",
    "beginDeviceEnrolment", "finishDeviceEnrolment", "removePaymentDevice",
})
MAX_FRAGMENT_EXPANSION = 10_000


class SensitiveFieldsOnce(ValidationRule):
    """Refuse a whole document that names any sensitive field more than once, counting through
    aliases, repeated fragment spreads and every operation in the document."""

    def enter_document(self, node: Any, *_: Any) -> None:
        fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
        counts: Counter[str] = Counter()
        budget = [MAX_FRAGMENT_EXPANSION]
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                for name in _field_names(definition.selection_set, fragments, (), budget):
                    if name in SENSITIVE_FIELDS:
                        counts[name] += 1
        repeated = sorted(name for name, n in counts.items() if n > 1)
        if repeated:
            self.report_error(GraphQLError(
                f"A document may use {', '.join(repeated)} only once; send one operation per request.",
                extensions={"code": "SENSITIVE_FIELD_REPEATED"}))


def _field_names(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
                 seen: tuple[str, ...], budget: list[int]) -> Iterator[str]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if isinstance(selection, FieldNode):
            yield selection.name.value
            yield from _field_names(selection.selection_set, fragments, seen, budget)
        elif isinstance(selection, InlineFragmentNode):
            yield from _field_names(selection.selection_set, fragments, seen, budget)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _field_names(fragment.selection_set, fragments, (*seen, name), budget)


class NoBadCharacters(ValidationRule):
    """A NUL byte or a lone surrogate in a literal string is refused before execution."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if has_bad_characters(node.value):
            self.report_error(GraphQLError("A string contains a NUL byte or an unpaired surrogate.",
                                           nodes=[node], extensions={"code": "BAD_USER_INPUT"}))


def has_bad_characters(value: object) -> bool:
    """True if any string inside `value` holds NUL or an unpaired surrogate."""
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_characters(v) for v in value)
    return False


class CleanVariables(SchemaExtension):
    """The same check for variables, which validation rules do not see."""

    def on_execute(self) -> Iterator[None]:
        variables = self.execution_context.variables
        if variables and has_bad_characters(variables):
            raise GraphQLError("A variable contains a NUL byte or an unpaired surrogate.",
                               extensions={"code": "BAD_USER_INPUT"})
        yield


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Clients get a reference id; the log gets the same id with the full traceback.

    A domain error that escapes a field without a union result (a query field, say) is expected,
    not a fault: it keeps its message and carries its machine-readable code instead.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            return GraphQLError(original.message, nodes=error.nodes, path=error.path,
                                extensions={"code": original.code.value})
        reference = uuid.uuid4().hex[:12]
        log.error("unexpected error %s at %s", reference, error.path, exc_info=error.original_error)
        return GraphQLError(f"Unexpected error. Quote reference {reference} to support.",
                            nodes=error.nodes, path=error.path,
                            extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference})
