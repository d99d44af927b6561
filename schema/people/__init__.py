"""GraphQL for people: contacts, privacy, blocks, push devices, support work, account lifecycle."""
