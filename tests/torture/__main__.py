"""`python -m tests.torture --seed N` (also `imwallet torture --seed N`): one seeded torture run."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from tests.torture.run import torture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imwallet torture", description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--redis-outage-seconds", type=float, default=2.0)
    parser.add_argument("--no-requests", action="store_true",
                        help="leave out payment requests paid and cancelled at once")
    args = parser.parse_args(argv)
    started = time.monotonic()
    run = asyncio.run(torture(args.seed, args.operations, args.clients, args.redis_outage_seconds,
                              requests=not args.no_requests))
    print(f"seed {args.seed}: {run.done} requests, {len(run.model.keys)} keys, faults {run.faults}, "
          f"{time.monotonic() - started:.0f} s")
    for violation in run.model.violations:
        print(f"VIOLATION: {violation}")
    verdict = f"{len(run.model.violations)} violation(s)" if run.model.violations else "all invariants hold"
    print(f"torture: {verdict}")
    return 1 if run.model.violations else 0


if __name__ == "__main__":
    sys.exit(main())
