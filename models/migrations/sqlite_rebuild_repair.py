"""SQLite only: put back the indexes and guards that Tortoise's table rebuild dropped in 0002.

On SQLite, Tortoise 1.1.9 applies AlterField and AddConstraint by rebuilding the table, and the
rebuilt table keeps neither its indexes (unique ones included: the idempotency key of `transfers`,
the one wallet per user of `ledger_accounts`) nor the CHECK triggers of wallet_guards. This
migration recreates, IF NOT EXISTS, every unique and plain index the models declare and the
triggers, so a fresh embedded database and an upgraded one end alike. PostgreSQL alters tables in
place and is left alone. It changes no model state, so `makemigrations` stays quiet.
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

from models.migrations.wallet_guards import GUARDED, _new_row


async def repair(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    import models
    from tortoise.models import Model

    # Models added after this migration have no table yet: their own later migration creates it, indexes too.
    tables = await client.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")
    existing = {r["name"] for r in tables}
    for model in vars(models).values():
        if isinstance(model, type) and issubclass(model, Model) and model is not Model \
                and model._meta.db_table in existing:
            for statement in _index_statements(model):
                await client.execute_script(statement)
    from models import wallet

    for name in GUARDED:
        table = getattr(wallet, name)._meta.db_table
        for constraint in getattr(getattr(wallet, name)._meta, "constraints", ()) or ():
            for event in ("INSERT", "UPDATE"):
                await client.execute_script(
                    f'CREATE TRIGGER IF NOT EXISTS "{constraint.name}_{event.lower()}" BEFORE {event} ON "{table}" '
                    f"WHEN NOT ({_new_row(constraint.check)}) "
                    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {constraint.name}'); END;")


def _index_statements(model: Any) -> list[str]:
    meta = model._meta
    table = meta.db_table
    groups: list[tuple[bool, tuple[str, ...]]] = []
    for name, field in meta.fields_map.items():
        column = getattr(field, "source_field", None) or name
        if field.pk or name not in meta.db_fields and column not in meta.db_fields:
            continue
        if field.unique:
            groups.append((True, (column,)))
        elif getattr(field, "index", False) or getattr(field, "db_index", False):
            groups.append((False, (column,)))
    for together in meta.unique_together or ():
        groups.append((True, tuple(_column(meta, f) for f in together)))
    for index in meta.indexes or ():
        fields = index.fields if hasattr(index, "fields") else index
        groups.append((False, tuple(_column(meta, f) for f in fields)))
    statements = []
    for unique, columns in groups:
        name = f"repair_{'uq' if unique else 'ix'}_{table}_{'_'.join(columns)}"[:63]
        cols = ", ".join(f'"{c}"' for c in columns)
        statements.append(f'CREATE {"UNIQUE " if unique else ""}INDEX IF NOT EXISTS "{name}" ON "{table}" ({cols});')
    return statements


def _column(meta: Any, field_name: str) -> str:
    field = meta.fields_map.get(field_name)
    if field is None:
        return field_name
    return str(getattr(field, "source_field", None) or meta.fields_db_projection.get(field_name, field_name))


class Migration(migrations.Migration):
    dependencies = [("models", "0002_second_round")]

    operations = [ops.RunPython(repair, atomic=True)]
