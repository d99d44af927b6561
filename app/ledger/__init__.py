"""The ledger: the only writer of balances (double entry, minor units)."""
