"""SMS and mail: an outbox table, transports, and the worker that delivers with retries."""
