"""Hashing, keyed MACs, tokens and rate limits: the secrets live here and nowhere else."""
