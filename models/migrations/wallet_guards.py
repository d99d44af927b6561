"""Database-level guards for the ledger: the CHECK constraints declared in models/wallet.py.

Tortoise 1.1.9 records `Meta.constraints` in a CreateModel's options but does not create them, so
this migration adds them: `ALTER TABLE ... ADD CONSTRAINT` on PostgreSQL, and on SQLite (which
cannot add a constraint in place, and whose table rebuild in Tortoise drops the indexes) the same
conditions as BEFORE INSERT/UPDATE triggers. It changes no model state, so `makemigrations` stays
quiet, and it survives `make migrations-reset` (which removes only files named 0*.py) because it
depends on the initial migration by name.
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

GUARDED = ("LedgerAccount", "Transfer", "LedgerEntry")


async def add_checks(apps: Any, schema_editor: Any) -> None:
    from models import wallet

    sqlite = schema_editor.client.capabilities.dialect == "sqlite"
    for name in GUARDED:
        model = getattr(wallet, name)
        for constraint in getattr(model._meta, "constraints", ()) or ():
            if sqlite:
                await _sqlite_triggers(schema_editor, model._meta.db_table, constraint)
            else:
                await schema_editor.add_constraint(apps.get_model("models", name), constraint)


async def _sqlite_triggers(schema_editor: Any, table: str, constraint: Any) -> None:
    for event in ("INSERT", "UPDATE"):
        await schema_editor.client.execute_script(
            f'CREATE TRIGGER "{constraint.name}_{event.lower()}" BEFORE {event} ON "{table}" '
            f"WHEN NOT ({_new_row(constraint.check)}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {constraint.name}'); END;")


def _new_row(check: str) -> str:
    """`kind <> 'X' OR balance_minor >= 0` with every column read from the NEW row."""
    import re

    return re.sub(r"\b(kind|balance_minor|amount_minor)\b", r"NEW.\1", check)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(add_checks, atomic=True)]
