"""The table: each configuration's throughput and latency, its ratio to the baseline of the same
run (median and min-max of the per-repetition ratios), and the issue's target beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import ratios, summary


@dataclass(frozen=True)
class Comparison:
    workload: str
    baseline: str
    target: float | None = None  # the minimum ratio, checked at c=50


# What each workload is compared with, and the targets of issue 7.
COMPARISONS: tuple[Comparison, ...] = (
    Comparison("sendMoney uniform", "node transfer uniform", 0.35),
    Comparison("sendMoney uniform", "raw transfer uniform", 0.35),
    Comparison("sendMoney hot wallet", "raw transfer hot wallet", 0.5),
    Comparison("node transfer uniform", "raw transfer uniform"),
    Comparison("sendMessage direct", "raw message insert", 0.15),
    Comparison("sendMessage group of 200", "raw message insert"),
    Comparison("history page of 50", "raw keyset read of 50", 0.15),
    Comparison("{ __typename }", "node { __typename }", 0.4),
    Comparison("conversations(first: 20)", "{ __typename }"),
    Comparison("me wallet transactions(20)", "{ __typename }"),
    Comparison("login", "{ __typename }"),
)
TARGET_CONCURRENCY = 50
LATENCY_TARGETS = (("sendMoney uniform", 4, 10.0, 30.0),)  # workload, c, p50 ms, p99 ms
RECEIPT_P99_MS = 100.0
IDLE_MIB_PER_1000 = 100.0


def key(workload: str, concurrency: int) -> str:
    return f"{workload} @c={concurrency}"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def comparisons(results: dict[str, dict[str, Any]], concurrencies: list[int]) -> list[dict[str, Any]]:
    out = []
    for comp in COMPARISONS:
        for c in concurrencies:
            mine, base = results.get(key(comp.workload, c)), results.get(key(comp.baseline, c))
            if not mine or not base:
                continue
            per_rep = ratios([s["throughput"] for s in mine["samples"]], [s["throughput"] for s in base["samples"]])
            median, low, high = summary(per_rep)
            target = comp.target if c == TARGET_CONCURRENCY else None
            out.append({"workload": comp.workload, "baseline": comp.baseline, "concurrency": c,
                        "ratios": per_rep, "median": median, "min": low, "max": high, "target": target,
                        "met": None if target is None or not per_rep else median >= target})
    return out


def latency_checks(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for workload, c, p50, p99 in LATENCY_TARGETS:
        r = results.get(key(workload, c))
        if r:
            out.append({"workload": workload, "concurrency": c, "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                        "target_p50_ms": p50, "target_p99_ms": p99,
                        "met": r["throughput"] > 0 and r["p50_ms"] < p50 and r["p99_ms"] < p99})
    return out


def aggregate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    tp = summary([s["throughput"] for s in samples])
    return {"samples": samples, "throughput": tp[0], "throughput_min": tp[1], "throughput_max": tp[2],
            "p50_ms": summary([s["p50_ms"] for s in samples])[0], "p99_ms": summary([s["p99_ms"] for s in samples])[0],
            "ok": sum(s["ok"] for s in samples), "bad": sum(s["bad"] for s in samples),
            "cpu_us": summary([s.get("cpu_us", 0.0) for s in samples])[0],
            "pg_us": summary([s.get("pg_us", 0.0) for s in samples])[0]}


def _cpu(result: dict[str, Any], key: str = "cpu_us") -> str:
    """CPU per answer (µs): the target's (`cpu_us`, blank for the raw baselines, which run in this
    process) or PostgreSQL's (`pg_us`, for every workload; blank in runs from before it was measured)."""
    cpu = result.get(key)
    return f"{cpu:.0f}" if cpu else ""


def render(report: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    results: dict[str, dict[str, Any]] = report["results"]
    comps = report["comparisons"]
    lines = []
    head = (f"{'workload':34} {'c':>3} {'ops/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'bad':>5} {'CPU µs':>7} "
            f"{'PG µs':>6}  {'ratio to baseline: median [min-max]':54} target")
    if previous:
        head += "   vs previous"
    lines += [head, "-" * len(head)]
    for name, r in results.items():
        workload, c = r["workload"], r["concurrency"]
        row = (f"{workload:34} {c:>3} {r['throughput']:8.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['bad']:>5} "
               f"{_cpu(r):>7} {_cpu(r, 'pg_us'):>6}")
        mine = [x for x in comps if x["workload"] == workload and x["concurrency"] == c]
        first = True
        for comp in mine or [None]:
            text = ""
            target = ""
            if comp is not None:
                text = f"{comp['median']:.3f} [{comp['min']:.3f}-{comp['max']:.3f}] of {comp['baseline']}"
                if comp["target"] is not None:
                    target = f">= {comp['target']:.2f}: {_met(bool(comp['met']))}"
            line = (row if first else " " * len(row)) + f"  {text:54} {target}"
            if first and previous and name in previous.get("results", {}):
                before = previous["results"][name]["throughput"]
                if before:
                    line += f"   {r['throughput'] / before:.2f}x ({before:.1f})"
            lines.append(line.rstrip())
            first = False
    for check in report.get("latency", []):
        lines.append(f"latency {check['workload']} @c={check['concurrency']}: p50 {check['p50_ms']:.1f} ms "
                     f"(< {check['target_p50_ms']:.0f}), p99 {check['p99_ms']:.1f} ms (< {check['target_p99_ms']:.0f}):"
                     f" {_met(check['met'])}")
    rt = report.get("realtime")
    if rt:
        lines.append(
            f"receipts: {rt['subscribers']} subscribers, {rt['achieved_rate']:.1f} of {rt['rate']} transfers/s "
            f"for {rt['seconds']} s ({rt['not_sent_late']} not sent, >2 s late): "
            f"commit-to-client p50 {rt['p50_ms']:.1f} ms, p99 {rt['p99_ms']:.1f} ms "
            f"(from request: p99 {rt['p99_from_request_ms']:.1f} ms); {rt['received']} of {rt['expected']} "
            f"receipts, {rt['lost']} lost; target p99 < {RECEIPT_P99_MS:.0f} ms, none lost at 1,000/100/s: "
            f"{_met(rt['met'])}")
        lines.append(
            f"idle subscriptions: {rt['subscribers']} add {rt['idle_mib']:.1f} MiB to the server "
            f"({rt['idle_kib_per_subscription']:.1f} KiB each; {rt['idle_mib_per_1000']:.1f} MiB per 1,000); "
            f"target < {IDLE_MIB_PER_1000:.0f} MiB per 1,000: {_met(rt['idle_met'])}")
    for check in report.get("checks", []):
        lines.append(f"check {check['what']}: {'ok' if check['ok'] else 'FAILED'} {check.get('detail', '')}".rstrip())
    return "\n".join(lines)


def write(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report['run']['started'].replace(':', '').replace('-', '')}.json"
    path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return path
