"""Collection codes in the API: a user's codes, and paying one."""
