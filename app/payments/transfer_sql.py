"""The SQL of a payment on PostgreSQL, in one place for its two paths (app/payments/transfers.py).

The locked path is the transaction of five round trips: BEGIN, the wallets locked, `GATE` (the PIN
row locked, the facts read under the locks), `PAY` (the whole write), COMMIT. The path at once is
two: `FACTS` read without a lock, the decision taken in Python on them (the PIN's HMAC included:
its key is never in the database), then one call of `PAY_ROUTINE`, a PL/pgSQL function that takes
the same locks in the same order, reads `FACTS` again under them and runs `PAY` only if what it
reads is what the decision saw (the digest of the facts, `md5` of their jsonb text, is equal), all
in the one implicit transaction of a single statement. If anything moved in between, it writes
nothing and returns no row, and the payment runs the locked path. So a payment at once writes
exactly what the locked path would have written at the instant it held the locks.

The function's text is made from the statements below at migration time (`install_routines`), under
a name with the digest of its text: each release calls the function made from its own SQL, and a
rolling deploy runs two releases' functions side by side.
"""

from __future__ import annotations

import hashlib
import re

from tortoise.transactions import in_transaction

from app.ledger.movement_sql import movement_ctes
from app.payments import limits
from app.people import reach

# The payer's PIN row, the key's earlier transfer, what left the wallet since midnight and (to other
# people) within the step-up window, the payee's reach and acceptance settings and the pair's
# conversation: one round trip. $1 payer, $2 key, $3 midnight, $4 the window's start, $5 payee,
# $6 the pair's direct key. Read with the wallet locked, the sums are exact.
GATE_READ = """
SELECT p.id, p.pin_hash, p.key_id, p.failed_attempts, p.locked_until, p.recent_locks, p.reset_required,
       (SELECT t.id FROM transfers t WHERE t.initiator_id = $1 AND t.idempotency_key = $2) AS previous_id,
       s.sent_today, s.sent_window,{REACH},
       (SELECT wp.transfer_acceptance FROM wallet_preferences wp WHERE wp.user_id = $5) AS payee_acceptance,
       (SELECT c.id FROM conversations c WHERE c.direct_key = $6) AS conversation_id
FROM payment_pins p CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(t.amount_minor) FILTER (WHERE t.created_at >= $3), 0) AS sent_today,
           COALESCE(SUM(t.amount_minor) FILTER (WHERE t.created_at >= $4 AND t.kind <> 'WITHDRAWAL'), 0)
               AS sent_window
    FROM transfers t
    WHERE t.payer_id = $1 AND t.created_at >= LEAST($3::timestamptz, $4::timestamptz)
      AND {MONEY_OUT}
) s
WHERE p.user_id = $1""".replace("{REACH}", reach.TRANSFER_FACTS_SQL).replace("{MONEY_OUT}", limits.MONEY_OUT_SQL)

GATE = GATE_READ + "\nFOR UPDATE OF p"

# Both wallets (with their owners' names) and the gate as one jsonb value, and its digest; $7 the
# users whose wallets. What the path at once decides on, and what its function checks again.
_FACTS_VALUE = """(SELECT jsonb_build_object(
    'wallets', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                    'id', a.id, 'user_id', a.user_id, 'currency', a.currency, 'balance_minor', a.balance_minor,
                    'created_at', a.created_at, 'display_name', u.display_name) ORDER BY a.id), '[]'::jsonb)
                FROM ledger_accounts a JOIN users u ON u.id = a.user_id
                WHERE a.user_id = ANY($7::bigint[]) AND a.kind = 'USER_WALLET'),
    'gate', (SELECT to_jsonb(g) FROM ({GATE}) AS g)))""".replace("{GATE}", GATE_READ)

FACTS = ("SELECT f.facts::text AS facts, md5(f.facts::text) AS digest "  # noqa: S608 (constant text)
         f"FROM (SELECT {_FACTS_VALUE} AS facts) AS f")

# A plain payment's whole write in one statement: the transfer, its journal, both balances and
# entries (app.ledger.book's movement CTEs), the stream locks of both parties (app.events: key order,
# one pass; every row that draws an event id or touches the conversation joins `l`, so the locks are
# held first), the TRANSFER message, the conversation's last activity, and the events in order:
# message.added for both parties, then both receipts, each given the transfer's global id.
PAY = """
WITH t AS (INSERT INTO transfers (kind, state, initiator_id, idempotency_key, request_fingerprint, payer_id, payee_id,
                                  card_id, request_id, amount_minor, currency, memo, failure_reason,
                                  initiator_balance_after_minor, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $3, $6, NULL, NULL, $7, $8, $9, '', $10, $11, $11) RETURNING id),
     {MOVEMENT},
     l AS (SELECT count(*) AS held FROM (SELECT pg_advisory_xact_lock($12, k)
             FROM (SELECT DISTINCT k FROM unnest($13::int[]) AS k ORDER BY k) AS ordered) AS x),
     m AS (INSERT INTO messages (conversation_id, kind, author_id, text, created_at, transfer_id, amount_minor,
                                 currency, memo, transfer_state, request_id)
           SELECT $14::bigint, $15::text, $3::bigint, '', $11::timestamptz, t.id, $7::bigint, $8::text, $16::text,
                  $2::text, NULL
           FROM t RETURNING id),
     cv AS (UPDATE conversations c SET last_message_id = (SELECT id FROM m), last_activity_at = $11
            FROM l WHERE c.id = $14 AND l.held >= 0 RETURNING c.id),
     ev AS (INSERT INTO events (user_id, kind, payload, created_at)
            SELECT e.user_id, e.kind,
                   CASE WHEN e.payload IS NULL THEN jsonb_build_object('conversationId', $14::bigint, 'messageId', m.id)
                        ELSE e.payload::jsonb || jsonb_build_object(
                            'transferId', encode(convert_to('Transfer:' || t.id, 'UTF8'), 'base64')) END,
                   $11::timestamptz
            FROM l, t, m, unnest($17::bigint[], $18::text[], $19::text[])
                 WITH ORDINALITY AS e(user_id, kind, payload, n)
            ORDER BY e.n RETURNING id)
SELECT t.id, (SELECT count(*) FROM b) AS moved, (SELECT count(*) FROM e) AS entries,
       (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM cv) AS touched
FROM t""".replace("{MOVEMENT}", movement_ctes(20, transfer="(SELECT id FROM t)", at="$11::timestamptz"))

# PAY's parameters, then FACTS' (renumbered after them), then the digest the decision saw.
_PAY_TYPES = ("text", "text", "bigint", "text", "text", "bigint", "bigint", "text", "text", "bigint", "timestamptz",
              "integer", "integer[]", "bigint", "text", "text", "bigint[]", "text[]", "text[]",
              "text", "text", "bigint[]", "bigint[]", "text[]", "bigint[]", "bigint[]")
_FACTS_TYPES = ("bigint", "text", "timestamptz", "timestamptz", "bigint", "text", "bigint[]")
PAY_ARGS = len(_PAY_TYPES)
FACTS_ARGS = len(_FACTS_TYPES)


def _shifted(sql: str, by: int) -> str:
    return re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + by}", sql)


_PAYER, _USERS, _DIGEST = f"${PAY_ARGS + 1}", f"${PAY_ARGS + 7}", f"${PAY_ARGS + FACTS_ARGS + 1}"
_BODY = f"""
DECLARE
    r record;
BEGIN
    -- The locks of the locked path, in its order: both wallets by id, then the payer's PIN row.
    PERFORM 1 FROM ledger_accounts a WHERE a.user_id = ANY({_USERS}) AND a.kind = 'USER_WALLET'
        ORDER BY a.id FOR UPDATE;
    PERFORM 1 FROM payment_pins p WHERE p.user_id = {_PAYER} FOR UPDATE;
    -- A new statement, so a new snapshot: what committed while this call waited for the locks is seen.
    IF md5({_shifted(_FACTS_VALUE, PAY_ARGS)}::text) IS DISTINCT FROM {_DIGEST} THEN
        RETURN;  -- the facts moved since the decision: nothing written, no row
    END IF;
    FOR r IN {PAY} LOOP
        -- as the locked path checks PAY's counts before it commits: a partial write is never kept
        IF NOT (r.moved = cardinality($22) AND r.entries = cardinality($22) AND r.events = cardinality($17)
                AND r.touched = 1) THEN
            RAISE EXCEPTION 'a payment''s write was partial: %', row_to_json(r);
        END IF;
        out_id := r.id; out_moved := r.moved; out_entries := r.entries; out_events := r.events;
        out_touched := r.touched;
        RETURN NEXT;
    END LOOP;
END"""
_SIGNATURE = ", ".join((*_PAY_TYPES, *_FACTS_TYPES, "text"))
ROUTINE = "imwallet_pay_" + hashlib.sha256((_SIGNATURE + _BODY).encode()).hexdigest()[:16]
_DEFINITION = f"""CREATE OR REPLACE FUNCTION {ROUTINE}({_SIGNATURE})
RETURNS TABLE (out_id bigint, out_moved bigint, out_entries bigint, out_events bigint, out_touched bigint)
LANGUAGE plpgsql VOLATILE AS $fn${_BODY}
$fn$"""

_ARGS = ", ".join(f"${n}" for n in range(1, PAY_ARGS + FACTS_ARGS + 2))
PAY_ROUTINE = ("SELECT out_id AS id, out_moved AS moved, out_entries AS entries, out_events AS events, "  # noqa: S608 (constant text)
               f"out_touched AS touched FROM {ROUTINE}({_ARGS})")


async def install_routines() -> None:
    """Make this release's payment function (PostgreSQL; idempotent). Concurrent installers queue on
    a transaction-level advisory lock: CREATE OR REPLACE of one function at once would fail."""
    async with in_transaction() as tx:
        await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext('imwallet routines'))")
        await tx.execute_script(_DEFINITION)
