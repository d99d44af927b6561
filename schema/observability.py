"""Counts every GraphQL operation for /metrics: its type, the root fields it selects, its outcome
(called by schema.extensions.RequestPipeline when an operation ends)."""

from __future__ import annotations

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.types import ExecutionContext

from app import metrics
from app.errors import DomainError

MAX_NAMED_FIELDS = 3


def count_operation(ctx: ExecutionContext, seconds: float) -> None:
    """One operation done: its type, root fields and outcome, judged on the errors before masking."""
    try:
        kind = ctx.operation_type.value
    except RuntimeError:  # no document, or no operation of that name
        kind = "unknown"
    errors = ctx.pre_execution_errors or (ctx.result.errors if ctx.result else None) or []
    failed = any(e.original_error is not None and not isinstance(e.original_error, GraphQLError | DomainError)
                 for e in errors)
    outcome = "failed" if failed else "rejected" if errors else "ok"
    metrics.operation_done(kind, _root_fields(ctx.graphql_document, ctx.operation_name), outcome,
                           None if kind == "subscription" else seconds)


def _root_fields(document: object, operation_name: str | None) -> str:
    """The selected operation's top-level field names, sorted: bounded by the schema, not the client."""
    definitions = getattr(document, "definitions", None) or []
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)
                  and (operation_name is None or (d.name is not None and d.name.value == operation_name))]
    if len(operations) != 1:
        return "(none)"
    names = sorted({s.name.value for s in operations[0].selection_set.selections if isinstance(s, FieldNode)})
    if len(names) > MAX_NAMED_FIELDS:
        names = [*names[:MAX_NAMED_FIELDS], "..."]
    return ",".join(names) or "(none)"
