"""The reconciler never overtakes a live card call, and the crash hook never reaches production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.unit.test_settings import make


def test_the_reconciler_waits_longer_than_a_card_call_may_run() -> None:
    with pytest.raises(ValidationError, match="RECONCILE_AFTER_SECONDS must be longer than CARD_CALL_TIMEOUT"):
        make(card_call_timeout_seconds=10.0, reconcile_after_seconds=10.0)
    assert make(card_call_timeout_seconds=10.0, reconcile_after_seconds=10.5).reconcile_after_seconds == 10.5


def test_production_refuses_a_fault_kill_point() -> None:
    with pytest.raises(ValidationError, match="FAULT_KILL_POINT is for tests only"):
        make(fault_kill_point="top_up.charged")
