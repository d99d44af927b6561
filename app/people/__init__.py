"""People around the wallet: contacts, privacy, blocks, and the one decision of who may reach whom."""
