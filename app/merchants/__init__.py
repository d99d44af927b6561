"""Merchants: shops with their own wallet and API keys, their orders, refunds and settlement."""
