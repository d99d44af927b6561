"""GraphQL for the wallet: PIN, wallet, cards, top-up, withdrawal, transfers and records."""
