"""Every Prometheus metric the service exports, and one small function per thing worth counting.

Callers make one-line calls where the thing happens (`metrics.transfer_posted(...)`); nothing else
touches prometheus_client. With several worker processes, `imwallet serve` sets
PROMETHEUS_MULTIPROC_DIR before any worker imports this module, so each process writes its values
to files there and /metrics sums them (server/metrics.py). Label values come from closed sets (the
schema's root fields, enum values), never from what a client sends, so no label can grow unbounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series double every counter and no dashboard reads them

OPERATIONS = Counter("imwallet_graphql_requests", "GraphQL operations, by type, root fields and outcome "
                     "(ok; rejected: by parsing, validation or a domain refusal outside a union; failed: unexpected)",
                     ["operation_type", "operation", "outcome"])
OPERATION_SECONDS = Histogram("imwallet_graphql_request_duration_seconds",
                              "Time to answer a query or mutation, by type and root fields",
                              ["operation_type", "operation"])
TRANSFERS = Counter("imwallet_transfers", "Ledger movements posted, by journal kind", ["kind"])
TRANSFER_AMOUNT = Counter("imwallet_transfer_amount_minor", "Money moved, in minor units, by journal kind",
                          ["kind", "currency"])
PIN_LOCKS = Counter("imwallet_pin_locks", "Payment PINs locked after too many wrong attempts")
CODES_SENT = Counter("imwallet_verification_codes_sent", "One-time codes issued and queued for delivery",
                     ["channel", "purpose"])
MAIL_RETRIES = Counter("imwallet_mail_retries", "SMS and mail deliveries that failed and were rescheduled",
                       ["channel"])
MAIL_DELIVERIES = Counter("imwallet_mail_deliveries", "SMS and mail deliveries finished, by outcome",
                          ["channel", "outcome"])
WS_CONNECTIONS = Counter("imwallet_websocket_connections", "Websocket connections accepted")
WS_OPEN = Gauge("imwallet_websocket_connections_open", "Websocket connections open now",
                multiprocess_mode="livesum")
SUBSCRIPTIONS = Counter("imwallet_subscriptions", "Subscriptions started")
SUBSCRIPTIONS_ACTIVE = Gauge("imwallet_subscriptions_active", "Subscriptions running now",
                             multiprocess_mode="livesum")
RECONCILER_ACTIONS = Counter("imwallet_reconciler_actions", "What the reconciler did, by action", ["action"])


def operation_done(operation_type: str, operation: str, outcome: str, seconds: float | None) -> None:
    OPERATIONS.labels(operation_type, operation, outcome).inc()
    if seconds is not None:
        OPERATION_SECONDS.labels(operation_type, operation).observe(seconds)


def transfer_posted(kind: str, amount_minor: int, currency: str) -> None:
    TRANSFERS.labels(kind).inc()
    TRANSFER_AMOUNT.labels(kind, currency).inc(amount_minor)


def pin_locked() -> None:
    PIN_LOCKS.inc()


def code_sent(channel: str, purpose: str) -> None:
    CODES_SENT.labels(channel, purpose).inc()


def delivery_retried(channel: str) -> None:
    MAIL_RETRIES.labels(channel).inc()


def delivery_finished(channel: str, outcome: str) -> None:
    MAIL_DELIVERIES.labels(channel, outcome).inc()


def websocket_opened() -> None:
    WS_CONNECTIONS.inc()
    WS_OPEN.inc()


def websocket_closed() -> None:
    WS_OPEN.dec()


def subscription_started() -> None:
    SUBSCRIPTIONS.inc()
    SUBSCRIPTIONS_ACTIVE.inc()


def subscription_ended() -> None:
    SUBSCRIPTIONS_ACTIVE.dec()


def reconciler_acted(action: str) -> None:
    """For the reconciler: one call per repair or decision it makes (e.g. "settled", "voided")."""
    RECONCILER_ACTIONS.labels(action).inc()
