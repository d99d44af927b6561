"""Payments: top-up, withdrawal, transfers, requests, idempotency."""
