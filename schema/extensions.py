"""Limits applied before any resolver runs, and masking of unexpected errors."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from asgi_correlation_id import correlation_id
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    parse,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType

from app import metrics
from app.errors import DomainError
from app.outages import UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, database_unavailable
from app.redaction import redact_error_message
from schema.observability import count_operation

log = logging.getLogger("imwallet.graphql")

# Fields that check a secret or move money: at most one of them, once, per document (OWASP
# "prevent batching for sensitive objects"). Aliases and fragments cannot multiply them.
SENSITIVE_FIELDS = frozenset({
    "login", "loginWithCode", "register", "resetPassword", "requestVerificationCode", "verifyEmail", "addEmail",
    "setPaymentPin", "changePaymentPin", "resetPaymentPin", "openWallet", "bindCard", "confirmCardBinding",
    "removeCard", "topUp", "withdraw", "sendMoney", "payRequest", "submitIdentity",
    "beginDeviceEnrolment", "finishDeviceEnrolment", "removePaymentDevice",
    "sendRedPacket", "openRedPacket", "acceptTransfer", "returnTransfer", "refundTransfer", "deleteAccount",
    "payByCode", "payOrder", "refundOrder", "merchantWithdraw", "exportStatement",
})
@dataclass
class _Cost:
    """What a selection set costs once every fragment in it is expanded."""

    fields: int = 0
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    sensitive: Counter[str] = dataclass_field(default_factory=Counter)

    def add(self, other: _Cost) -> None:
        self.fields += other.fields
        self.aliases += other.aliases
        self.directives += other.directives
        self.depth = max(self.depth, other.depth)
        self.sensitive.update(other.sensitive)


class _Costing:
    """Walks each operation once, each fragment once: a fragment's cost is memoised, so a spread
    repeated 2^22 times through nested fragments costs one dictionary lookup per spread written."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, _Cost] = {}
        self.in_progress: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None) -> _Cost:
        cost = _Cost()
        if node is None:
            return cost
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                child = self.selection_set(selection.selection_set)
                field = _Cost(fields=1 + child.fields, aliases=child.aliases + (selection.alias is not None),
                              directives=child.directives + len(selection.directives or ()),
                              sensitive=child.sensitive)
                # introspection fields and leaves add no depth (as strawberry's depth limiter counted)
                if selection.selection_set is not None and not name.startswith("__"):
                    field.depth = 1 + child.depth
                if name in SENSITIVE_FIELDS:
                    field.sensitive[name] += 1
                cost.add(field)
            elif isinstance(selection, InlineFragmentNode):
                cost.add(self.selection_set(selection.selection_set))
                cost.directives += len(selection.directives or ())
            elif isinstance(selection, FragmentSpreadNode):
                cost.add(self.fragment(selection.name.value))
                cost.directives += len(selection.directives or ())
        return cost

    def fragment(self, name: str) -> _Cost:
        known = self.memo.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return _Cost()  # unknown or cyclic: graphql-core's own rules report it
        self.in_progress.add(name)
        cost = self.selection_set(definition.selection_set)
        self.in_progress.discard(name)
        self.memo[name] = cost
        return cost


@dataclass(frozen=True)
class Budget:
    """Every cost limit, checked in one linear pass: depth per operation; aliases, expanded fields,
    directives and sensitive fields per document. Exceeding any refuses the whole document."""

    max_depth: int
    max_aliases: int
    max_fields: int
    max_directives: int

    def check(self, document: DocumentNode) -> list[GraphQLError]:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        costing = _Costing(fragments)
        total = _Cost()
        errors: list[GraphQLError] = []
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            cost = costing.selection_set(definition.selection_set)
            if cost.depth > self.max_depth:
                name = definition.name.value if definition.name else "anonymous"
                errors.append(GraphQLError(f"'{name}' exceeds maximum operation depth of {self.max_depth}",
                                           extensions={"code": "QUERY_TOO_DEEP"}))
            total.add(cost)
        if total.aliases > self.max_aliases:
            errors.append(GraphQLError(f"{total.aliases} aliases found. Allowed: {self.max_aliases}",
                                       extensions={"code": "TOO_MANY_ALIASES"}))
        if total.directives > self.max_directives:
            errors.append(GraphQLError(f"{total.directives} directives found. Allowed: {self.max_directives}",
                                       extensions={"code": "TOO_MANY_DIRECTIVES"}))
        if total.fields > self.max_fields:
            errors.append(GraphQLError(f"The document expands to {total.fields} fields. Allowed: {self.max_fields}",
                                       extensions={"code": "TOO_MANY_FIELDS"}))
        repeated = sorted(name for name, n in total.sensitive.items() if n > 1)
        if repeated:
            errors.append(GraphQLError(
                f"A document may use {', '.join(repeated)} only once; send one operation per request.",
                extensions={"code": "SENSITIVE_FIELD_REPEATED"}))
        return errors


class NoBadCharacters(ValidationRule):
    """A NUL byte or a lone surrogate in a literal string is refused before execution."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if has_bad_characters(node.value):
            self.report_error(GraphQLError("A string contains a NUL byte or an unpaired surrogate.",
                                           nodes=[node], extensions={"code": "BAD_USER_INPUT"}))


_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def has_bad_characters(value: object) -> bool:
    """True if any string inside `value` holds NUL or an unpaired surrogate."""
    if isinstance(value, str):
        # one regex scan in C: a generator over every character cost 35 us for a sendMoney body
        return _BAD_CHARACTER.search(value) is not None
    if isinstance(value, dict):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_characters(v) for v in value)
    return False


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

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [redacted(e) for e in super()._process_errors(errors)]

    def _process_result(self, result: object) -> None:
        # MaskErrors asks isinstance(result, <a runtime_checkable Protocol>): ~5 us a request
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            return GraphQLError(original.message, nodes=error.nodes, path=error.path,
                                extensions={"code": original.code.value})
        if original is not None and database_unavailable(original):
            return GraphQLError(UNAVAILABLE_MESSAGE, nodes=error.nodes, path=error.path,
                                extensions={"code": UNAVAILABLE_CODE})
        reference = correlation_id.get() or uuid.uuid4().hex[:12]  # the request id, as in X-Request-Id
        log.error("unexpected error %s at %s", reference, error.path, exc_info=error.original_error)
        return GraphQLError(f"Unexpected error. Quote reference {reference} to support.",
                            nodes=error.nodes, path=error.path,
                            extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference})


def redacted(error: GraphQLError) -> GraphQLError:
    """The error as it may leave: graphql-core's messages lose the input values they quote, and no
    message keeps a "Did you mean" hint (app/redaction.py)."""
    if isinstance(error.original_error, DomainError):
        return error
    message = redact_error_message(error.message)
    if message == error.message:
        return error
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=error.original_error, extensions=error.extensions)


def document_digest(query: str | None) -> str:
    """What logs name a document by: never its text, whose literals may hold a PIN or a card number."""
    return hashlib.sha256((query or "").encode("utf-8", "replace")).hexdigest()[:16]


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Schema.process_errors: one line per error with the operation's name and the document's digest;
    masked internal errors were logged with their traceback where they were masked."""
    query = execution_context.query if execution_context else None
    operation = (execution_context.operation_name if execution_context else None) or "anonymous"
    for error in errors:
        code = (error.extensions or {}).get("code", "GRAPHQL_ERROR")
        log.info("graphql error %s in operation %s (document %s): %s", code, operation,
                 document_digest(query), redact_error_message(error.message))


def request_pipeline(budget: Budget, max_tokens: int, introspection: bool, maxsize: int = 512
                     ) -> Callable[[], SchemaExtension]:
    """Every per-request extension of the schema as ONE extension with one hook per stage.

    strawberry builds a context manager (contextlib + functools.wraps) for every hook of every
    extension on every request; the eight extensions this replaces (MaxTokensLimiter,
    AddValidationRules, DisableIntrospection, CleanVariables, MaskUnexpectedErrors, SafeParserCache,
    BudgetedValidation, OperationMetrics) had nine hooks. Each stage does what those did, in their
    order: the token limit and the extra rules before parsing; the parse cached (a syntax error left to
    strawberry's own parse step, which reports it as a request error); the budget, then graphql-core's
    rules, both cached; variables checked before execution; on the way out the operation is counted
    (errors before masking) and then unexpected errors are masked.

    The parse, budget and validation caches are keyed by the document's text: a parsed document's
    hash walks its whole tree (a frozen dataclass), the text's is cached by Python.
    """
    rules: tuple[type[ASTValidationRule], ...] = (NoBadCharacters,) if introspection \
        else (NoBadCharacters, NoSchemaIntrospectionCustomRule)
    cached_parse = functools.lru_cache(maxsize=maxsize)(parse)

    @functools.lru_cache(maxsize=maxsize)
    def validate_text(schema: GraphQLSchema, query: str, validation_rules: tuple[type[ASTValidationRule], ...]
                      ) -> list[GraphQLError]:
        document = cached_parse(query, max_tokens=max_tokens)
        return budget.check(document) or validate_document(schema, document, validation_rules)

    class RequestPipeline(MaskUnexpectedErrors):
        _subscription = False

        def on_operation(self) -> Iterator[None]:
            ctx = self.execution_context
            ctx.parse_options["max_tokens"] = max_tokens
            ctx.validation_rules = ctx.validation_rules + rules
            self._stream_result_processed = False
            started = time.perf_counter()
            try:
                yield
            finally:
                if self._subscription:
                    metrics.subscription_ended()
                count_operation(ctx, time.perf_counter() - started)
            if self._stream_result_processed:
                return
            result = ctx.result
            if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult):
                self._process_result(result)
            elif initial_result := getattr(result, "initial_result", None):
                self._process_result(initial_result)

        def on_parse(self) -> Iterator[None]:
            ctx = self.execution_context
            with contextlib.suppress(GraphQLError):
                ctx.graphql_document = cached_parse(ctx.query, **ctx.parse_options)
            yield

        def on_validate(self) -> Iterator[None]:
            ctx = self.execution_context
            document = ctx.graphql_document
            assert document is not None
            validation_rules = tuple(ctx.validation_rules)
            query = ctx.query
            if (isinstance(query, str) and ctx.parse_options == {"max_tokens": max_tokens}
                    and cached_parse(query, max_tokens=max_tokens) is document):
                ctx.pre_execution_errors = validate_text(ctx.schema._schema, query, validation_rules)
            else:  # a document that is not the cached parse of the text: checked, not cached
                ctx.pre_execution_errors = budget.check(document) or validate_document(
                    ctx.schema._schema, document, validation_rules)
            yield

        def on_execute(self) -> Iterator[None]:
            ctx = self.execution_context
            if ctx.variables and has_bad_characters(ctx.variables):
                raise GraphQLError("A variable contains a NUL byte or an unpaired surrogate.",
                                   extensions={"code": "BAD_USER_INPUT"})
            # For a subscription this runs once, when it starts; on_operation ends when it ends.
            if ctx.operation_type == OperationType.SUBSCRIPTION:
                self._subscription = True
                metrics.subscription_started()
            yield

    return RequestPipeline
