"""GraphQL for money between people: red packets (and, with them, acceptance, refunds, split bills)."""
