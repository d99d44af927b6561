"""One-time codes sent by SMS or mail."""
