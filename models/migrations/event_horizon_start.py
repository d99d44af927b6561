"""The event horizon's one row, started where `MIN(id)` put the horizon before it was recorded.

A deployment that pruned events before 0005_event_horizon keeps answering CURSOR_EXPIRED for cursors
below its oldest kept event, as it did; a new one starts at 0 (nothing pruned). It changes no model
state, so `makemigrations` stays quiet.
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops


async def start_horizon(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script(
        "INSERT INTO event_horizon (id, pruned_through) SELECT 1, COALESCE(MIN(id) - 1, 0) FROM events")


class Migration(migrations.Migration):
    dependencies = [("models", "0005_event_horizon")]

    initial = False

    operations = [ops.RunPython(start_horizon, atomic=True)]
