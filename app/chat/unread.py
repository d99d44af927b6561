"""Unread counts for a page of conversations in one query."""

from __future__ import annotations

from tortoise.connection import get_connection


async def unread_counts(user_id: int, conversation_ids: list[int]) -> dict[int, int]:
    """Messages after the user's read position, not their own and not recalled, per conversation."""
    counts = dict.fromkeys(conversation_ids, 0)
    if not conversation_ids:
        return counts
    conn = get_connection("default")
    pg = conn.capabilities.dialect == "postgres"
    marks = [f"${i}" if pg else "?" for i in range(1, len(conversation_ids) + 3)]
    # Only placeholders are interpolated into the text; every value travels as a parameter.
    sql = (
        "SELECT m.conversation_id, COUNT(*) FROM messages m "  # noqa: S608
        "JOIN conversation_members cm ON cm.conversation_id = m.conversation_id "
        f"AND cm.user_id = {marks[0]} AND cm.left_at IS NULL "
        "WHERE m.id > cm.last_read_message_id AND m.recalled_at IS NULL "
        f"AND (m.author_id IS NULL OR m.author_id <> {marks[1]}) "
        f"AND m.conversation_id IN ({', '.join(marks[2:])}) GROUP BY m.conversation_id")
    _, rows = await conn.execute_query(sql, [user_id, user_id, *conversation_ids])
    for row in rows:
        counts[int(row[0])] = int(row[1])
    return counts
