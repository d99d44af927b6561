"""A seeded, model-checked torture run of the wallet through its public API (docs/money.md)."""
