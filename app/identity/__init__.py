"""Accounts, sessions, phone numbers and identity documents."""
