"""Merchants, their orders and settlement: the fields a merchant key calls, and a user's order fields."""
