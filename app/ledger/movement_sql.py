"""A movement's SQL for a caller's larger statement, apart from app.ledger.book so that what builds
statements at import (app/payments/transfer_sql.py, imported by `imwallet migrate` in the process
that must not load prometheus_client yet) does not import the book's metrics."""

from __future__ import annotations

# The same movement as part of a caller's larger statement (a payment's one write): the journal, the
# balances and the entries as data-modifying CTEs j, b and e. `{transfer}` is the SQL of the transfer's
# id, `{at}` of the timestamp; the movement's own parameters are numbered from `first`.
_MOVEMENT_CTES = """j AS (INSERT INTO journals (kind, transfer_id, description, created_at)
           SELECT $K::text, {transfer}, $D::text, {at} RETURNING id),
     b AS (UPDATE ledger_accounts a SET balance_minor = a.balance_minor + v.delta
           FROM unnest($I::bigint[], $A::bigint[]) AS v(id, delta) WHERE a.id = v.id RETURNING a.id),
     e AS (INSERT INTO ledger_entries (journal_id, account_id, kind, amount_minor, balance_after_minor,
                                       counterparty_id, created_at)
           SELECT j.id, v.id, v.kind, v.delta, v.after, v.counterparty, {at}
           FROM j, unnest($I::bigint[], $T::text[], $A::bigint[], $F::bigint[], $C::bigint[])
                AS v(id, kind, delta, after, counterparty)
           RETURNING journal_id)"""


def movement_ctes(first: int, *, transfer: str, at: str) -> str:
    """The CTEs j, b and e with the movement's seven parameters numbered from `first` (the text
    depends on nothing else, so a statement built once can hold it)."""
    numbers = dict(zip("KDIATFC", range(first, first + 7), strict=True))
    sql = _MOVEMENT_CTES.replace("{transfer}", transfer).replace("{at}", at)
    for name, n in numbers.items():
        sql = sql.replace(f"${name}", f"${n}")
    return sql
