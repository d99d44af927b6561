"""The bench harness's arithmetic and its SQL parameterising, without timing anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import report
from bench.capture import Ref, Statement, build_replay
from bench.stats import percentile, ratios, summary


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_ratios_pair_each_repetition_with_its_own_baseline() -> None:
    assert ratios([10, 30, 20], [100, 100, 50]) == [0.1, 0.3, 0.4]
    assert summary(ratios([10, 30, 20], [100, 100, 50])) == (0.3, 0.1, 0.4)
    assert ratios([5], [0]) == []
    assert ratios([10, 30, 20], [100, 100]) == [0.1, 0.3]  # the last round was cut short


def _result(workload: str, c: int, throughputs: list[float], p50: float = 5.0, p99: float = 9.0) -> dict:
    samples = [{"throughput": t, "p50_ms": p50, "p99_ms": p99, "ok": 10, "bad": 0} for t in throughputs]
    return {"workload": workload, "concurrency": c, **report.aggregate(samples)}


def test_comparisons_judge_targets_at_c50_by_the_median_ratio(tmp_path: Path) -> None:
    results = {report.key(w, c): _result(w, c, t) for w, c, t in [
        ("sendMoney uniform", 50, [40, 20, 60]), ("node transfer uniform", 50, [100, 100, 100]),
        ("raw transfer uniform", 50, [200, 100, 100]),
        ("sendMoney uniform", 4, [10, 10, 10]), ("node transfer uniform", 4, [100, 100, 100]),
    ]}
    comps = report.comparisons(results, [4, 50])
    by = {(x["workload"], x["baseline"], x["concurrency"]): x for x in comps}
    node50 = by[("sendMoney uniform", "node transfer uniform", 50)]
    assert (node50["median"], node50["min"], node50["max"], node50["target"], node50["met"]) == (0.4, 0.2, 0.6, 0.35,
                                                                                                True)
    raw50 = by[("sendMoney uniform", "raw transfer uniform", 50)]
    assert (raw50["ratios"], raw50["met"]) == ([0.2, 0.2, 0.6], False)
    node4 = by[("sendMoney uniform", "node transfer uniform", 4)]
    assert (node4["median"], node4["target"], node4["met"]) == (0.1, None, None)
    assert ("sendMoney uniform", "raw transfer uniform", 4) not in by  # no baseline measured at c=4

    latency = report.latency_checks(results)
    assert [(x["workload"], x["met"]) for x in latency] == [("sendMoney uniform", True)]

    doc = {"run": {"started": "2026-12-01T22:00:00Z"}, "results": results, "comparisons": comps,
           "latency": latency, "checks": [{"what": "audit", "ok": True}]}
    table = report.render(doc, previous={"results": {report.key("sendMoney uniform", 50): {"throughput": 20.0}}})
    assert "0.400 [0.200-0.600] of node transfer uniform" in table
    assert ">= 0.35: met" in table
    assert ">= 0.35: NOT met" in table
    assert "2.00x (20.0)" in table
    path = report.write(doc, tmp_path)
    assert path.name == "20261201T220000Z.json"
    assert json.loads(path.read_text())["comparisons"] == comps


def test_the_table_shows_cpu_per_answer_of_the_target_and_of_postgresql_blank_where_unmeasured() -> None:
    measured = {"throughput": 100.0, "p50_ms": 5.0, "p99_ms": 9.0, "ok": 10, "bad": 0}
    results = {
        report.key("{ __typename }", 50): {"workload": "{ __typename }", "concurrency": 50, **report.aggregate(
            [{**measured, "cpu_us": 300.0, "pg_us": 9.0}, {**measured, "cpu_us": 250.0, "pg_us": 7.0},
             {**measured, "cpu_us": 420.0, "pg_us": 30.0}])},
        report.key("raw message insert", 50): {"workload": "raw message insert", "concurrency": 50,
                                               **report.aggregate([{**measured, "pg_us": 120.0}])},
        report.key("login", 50): {"workload": "login", "concurrency": 50, **report.aggregate([measured])},
    }
    rows = report.render({"run": {}, "results": results, "comparisons": [], "latency": [], "checks": []}).splitlines()
    assert "CPU µs" in rows[0]
    assert "PG µs" in rows[0]
    typename = next(r for r in rows if r.startswith("{ __typename }"))
    raw = next(r for r in rows if r.startswith("raw message insert"))
    older = next(r for r in rows if r.startswith("login"))
    assert typename.split()[-3:] == ["0", "300", "9"]  # bad, then the medians of the repetitions' CPU
    assert raw.split()[-3:] == ["9.0", "0", "120"]  # p99, bad, no target CPU (it runs in the harness), PG's
    assert older.split()[-2:] == ["9.0", "0"]  # a run from before either was measured: both blank


def test_replay_turns_captured_ids_into_roles_and_returned_values() -> None:
    at = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    payer, payee, wa, wb, transfer, journal = 1_000_000_007, 1_000_000_009, 1_050_000_003, 1_050_000_004, \
        1_100_000_001, 1_150_000_001
    statements = [
        Statement("fetch", "SELECT * FROM payment_pins WHERE user_id=$1", [payer]),
        Statement("execute", "BEGIN;", []),
        Statement("fetchrow", 'INSERT INTO "transfers" (payer_id, idempotency_key, created_at) VALUES ($1,$2,$3) '
                  'RETURNING "id"', [payer, "k-1", at], [{"id": transfer}]),
        Statement("fetch", 'SELECT "id","balance_minor" FROM "ledger_accounts" WHERE "id" IN ($1,$2) FOR UPDATE',
                  [wa, wb], [{"id": wa, "balance_minor": 500}, {"id": wb, "balance_minor": 70}]),
        Statement("fetchrow", 'INSERT INTO "journals" (transfer_id) VALUES ($1) RETURNING "id"', [transfer],
                  [{"id": journal}]),
        Statement("executemany", 'INSERT INTO "ledger_entries" (account_id, journal_id, balance_after_minor) '
                  'VALUES ($1,$2,$3)', [[wa, journal, 499], [wb, journal, 71]]),
        Statement("fetchrow", 'INSERT INTO "events" (payload) VALUES ($1)',
                  [json.dumps({"direct": f"{payer}:{payee}", "transfer": transfer})]),
        Statement("execute", "COMMIT;", []),
        Statement("execute", "SELECT 1", []),
    ]
    roles = {"payer_user": payer, "payee_user": payee, "payer_wallet": wa, "payee_wallet": wb}
    replay = build_replay(statements, roles, key="k-1", amount_minor=1,
                          balances_before={"payer_wallet": 500, "payee_wallet": 70}, captured_at=at)
    assert [s.sql for s in replay.statements] == [s.sql for s in statements[1:8]]
    assert replay.args[1] == [Ref("role", "payer_user"), Ref("key"), Ref("now", offset=timedelta())]
    assert replay.lock_statement == 2
    assert replay.args[3] == [Ref("result", statement=1, column="id")]
    assert replay.args[4] == [[Ref("role", "payer_wallet"), Ref("result", statement=3, column="id"),
                               Ref("after", "payer_wallet")],
                              [Ref("role", "payee_wallet"), Ref("result", statement=3, column="id"),
                               Ref("after", "payee_wallet")]]
    assert replay.args[5] == [Ref("text", '{{"direct": "{payer_user}:{payee_user}", "transfer": {r1_id}}}')]
    assert replay.unmapped == []
    assert len(replay.capture) == 9


def test_a_movement_without_ledger_table_names_is_found_by_its_parties() -> None:
    payer, payee = 1_000_000_007, 1_000_000_009
    statements = [
        Statement("fetch", "SELECT pin_hash FROM payment_pins WHERE user_id=$1", [payer]),
        Statement("fetchval", "SELECT move_money($1, $2, $3, $4)", [payer, payee, 1, "k-1"], [{"?": 5}]),
        Statement("execute", "SELECT 1", []),
    ]
    replay = build_replay(statements, {"payer_user": payer, "payee_user": payee}, key="k-1", amount_minor=1,
                          balances_before={"payer_wallet": 10, "payee_wallet": 10},
                          captured_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert [s.sql for s in replay.statements] == ["SELECT move_money($1, $2, $3, $4)"]
    assert replay.args == [[Ref("role", "payer_user"), Ref("role", "payee_user"), 1, Ref("key")]]
