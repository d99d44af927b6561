"""The bench harness end to end on a tiny profile: it produces a result and its checks pass.

Nothing here is timed or compared with a target; speed is the benchmark's business (docs/performance.md).
Needs wrk (Debian package) besides PostgreSQL and Redis; skipped without it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)")]

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_run_measures_and_checks_money(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--wallets", "12", "--no-peer", "--repetitions", "1",
         "--seconds", "0.5", "--only", "sendMoney uniform,raw transfer uniform", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [path] = tmp_path.glob("*.json")
    doc = json.loads(path.read_text())
    assert sorted(doc["results"]) == ["raw transfer uniform @c=4", "raw transfer uniform @c=50",
                                      "sendMoney uniform @c=4", "sendMoney uniform @c=50"]
    assert all(len(r["samples"]) == 1 for r in doc["results"].values())
    assert [c["baseline"] for c in doc["comparisons"]] == ["raw transfer uniform", "raw transfer uniform"]
    assert doc["capture"]["unmapped"] == []
    money = [c for c in doc["checks"] if "transfers = successes" in c["what"]]
    assert len(money) == 4
    assert all(c["ok"] for c in doc["checks"]), doc["checks"]
    assert "sendMoney uniform" in run.stdout
    assert "stopped every process and dropped the databases it made" in run.stdout
