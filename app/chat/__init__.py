"""Chat: conversations, messages, read positions, support tickets."""
