"""Merchant wallets never go negative, at the database too; and SQLite's rebuilt tables get their indexes back.

0004_merchants adds enum values to `ledger_accounts.kind`, `transfers.kind` and `journals.kind`;
on SQLite Tortoise applies that AlterField by rebuilding the tables, which drops their indexes and the
wallet_guards triggers. This migration runs sqlite_rebuild_repair's repair again (every statement is
IF NOT EXISTS), then adds the merchant wallet guard as a constraint of its own, so the users' wallet
constraint is left as it is (no table rebuild): a CHECK on PostgreSQL, BEFORE INSERT/UPDATE triggers
on SQLite. It changes no model state, so `makemigrations` stays quiet.
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

from models.migrations.sqlite_rebuild_repair import repair

NAME = "ledger_accounts_merchant_wallet_not_negative"
CHECK = "kind <> 'MERCHANT_WALLET' OR balance_minor >= 0"


async def add_guard(apps: Any, schema_editor: Any) -> None:
    await repair(apps, schema_editor)
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        for event in ("INSERT", "UPDATE"):
            await client.execute_script(
                f'CREATE TRIGGER IF NOT EXISTS "{NAME}_{event.lower()}" BEFORE {event} ON "ledger_accounts" '
                f"WHEN NOT (NEW.kind <> 'MERCHANT_WALLET' OR NEW.balance_minor >= 0) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END;")
        return
    await client.execute_script(f'ALTER TABLE "ledger_accounts" ADD CONSTRAINT "{NAME}" CHECK ({CHECK})')


class Migration(migrations.Migration):
    dependencies = [("models", "0004_merchants")]

    operations = [ops.RunPython(add_guard, atomic=True)]
