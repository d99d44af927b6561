"""Small arithmetic the report relies on (tested in tests/unit/test_bench_report.py)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values; 0 for none."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return float(sorted_values[rank - 1])


def ratios(values: Sequence[float], baselines: Sequence[float]) -> list[float]:
    """Per-repetition ratios: repetition i of the workload over repetition i of its baseline. A round
    cut short by the time budget may hold one and not the other: only rounds with both count."""
    return [v / b for v, b in zip(values, baselines, strict=False) if b > 0]


def summary(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max); zeros for none."""
    if not values:
        return 0.0, 0.0, 0.0
    return float(statistics.median(values)), float(min(values)), float(max(values))
