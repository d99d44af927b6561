"""Named crash points for fault tests: the process SIGKILLs itself where FAULT_KILL_POINT says.

A fault test starts the app with FAULT_KILL_POINT=<name> and drives one request to that point: the
process dies exactly there (no finally blocks, no flush), as it would on a power cut, and the test
restarts it and checks that nothing was lost or done twice. Production refuses the setting.
"""

from __future__ import annotations

import os
import signal

from app.settings import Settings

POINTS = (
    "transfer.before_commit",      # the transfer's journal is written, not committed
    "transfer.after_commit",       # committed, the client not answered
    "top_up.before_charge",        # PENDING recorded, the card not yet charged
    "top_up.charged",              # the network approved the charge, the wallet not credited
    "top_up.after_commit",         # credited and committed, the client not answered
    "withdraw.before_commit",      # the hold is written, not committed
    "withdraw.paid_out",           # the network paid out, the hold not settled
    "withdraw.after_commit",       # settled and committed, the client not answered
)


def crash_point(settings: Settings, name: str) -> None:
    """Die here if the settings name this point (tests only)."""
    if settings.fault_kill_point and settings.fault_kill_point == name:
        os.kill(os.getpid(), signal.SIGKILL)
