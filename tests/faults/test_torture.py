"""Three seeded torture runs (tests/torture): thousands of mixed requests from many clients under a
schedule of app kills and Redis outages, every answer checked against the model. A failing seed
replays with `imwallet torture --seed N` (or TORTURE_SEEDS=N here)."""

from __future__ import annotations

import os

import pytest

from tests.torture.run import torture

SEEDS = [int(s) for s in os.environ.get("TORTURE_SEEDS", "1,2,3").split(",")]
OPERATIONS = int(os.environ.get("TORTURE_OPERATIONS", "1000"))
# Payment requests paid and cancelled at once (TORTURE_REQUESTS=0 leaves them out).
REQUESTS = os.environ.get("TORTURE_REQUESTS", "1") == "1"


@pytest.mark.postgres
@pytest.mark.timeout(420)
@pytest.mark.parametrize("seed", SEEDS)
async def test_torture(seed: int) -> None:
    run = await torture(seed, OPERATIONS, requests=REQUESTS)
    assert run.done >= OPERATIONS - len(run.users)
    assert run.model.violations == [], f"seed {seed}, faults {run.faults}"
