"""What may happen: the acceptable answers of every request, and the ledger the answers imply.

Like TigerBeetle's auditor, the model does not predict one answer per request; it keeps the set of
answers that some order of the requests in flight (and some fault) could give, refuses anything
outside it, and at the end, when every key has its final answer, computes the one ledger those
answers imply and compares it with the server's, entry by entry where a client saw one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RETRIABLE = frozenset({"TemporarilyUnavailableError", "TEMPORARILY_UNAVAILABLE", "TRANSPORT"})
OK = "TransferSuccess"
POOR = "InsufficientFundsError"
DECLINED = "CardDeclinedError"
WRONG_PIN = "InvalidPinError"
CLOSED = "RequestClosedError"

# Card behaviours of the sandbox (app/cards/sandbox.py) and what a first answer may be.
FIRST_ANSWERS: dict[tuple[str, str], frozenset[str]] = {
    ("send", ""): frozenset({OK, POOR}),
    # funds are checked before the PIN (the balance is no secret to the session that asks)
    ("wrong_pin", ""): frozenset({WRONG_PIN, POOR}),
    ("pay_request", ""): frozenset({OK, POOR, CLOSED}),
    # DECLINED (NO_ANSWER) only if the reconciler overtook the call on a loaded machine: it closes the
    # reference at the bank first, so the late call is refused, not acted on.
    ("top_up", "approve"): frozenset({OK, DECLINED}),
    ("top_up", "slow"): frozenset({OK, DECLINED}),
    ("top_up", "lostanswer"): frozenset(),       # its answer is always lost: pending first
    ("top_up", "noanswer"): frozenset(),
    ("withdraw", "approve"): frozenset({OK, POOR, DECLINED}),
    ("withdraw", "slow"): frozenset({OK, POOR, DECLINED}),
    ("withdraw", "lostanswer"): frozenset({POOR}),
    ("withdraw", "noanswer"): frozenset({POOR}),
}


@dataclass
class Key:
    """One idempotency key: the request it stands for and every answer it got."""

    key: str
    kind: str               # send, wrong_pin, top_up, withdraw
    user: int               # index of the client (user) that owns it
    amount_minor: int
    payee: int | None = None
    card: str = ""          # behaviour of the card, for top_up and withdraw
    answers: list[str] = field(default_factory=list)
    transfer_id: str | None = None
    decline: str | None = None
    disrupted: bool = False  # some answer was retriable: a fault or a pending operation touched it
    request_id: str | None = None  # for pay_request: the payment request it pays

    @property
    def last(self) -> str | None:
        return self.answers[-1] if self.answers else None

    @property
    def final(self) -> bool:
        return self.last is not None and self.last not in RETRIABLE


class Violation(AssertionError):
    pass


@dataclass
class Model:
    keys: dict[str, Key] = field(default_factory=dict)
    records: dict[str, tuple[int, int]] = field(default_factory=dict)  # entry id -> (amount, balance after)
    cancels: dict[str, list[str]] = field(default_factory=dict)  # request id -> answers to cancelRequest
    violations: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    def answer(self, k: Key, outcome: str, transfer_id: str | None, decline: str | None) -> None:
        """Check one answer for key k against what may happen, and remember it."""
        allowed = self._allowed(k)
        if outcome not in allowed:
            self.fail(f"{k.kind} {k.key} ({k.card or '-'}): answer {outcome} not in {sorted(allowed)} "
                      f"after {k.answers}")
        if outcome in RETRIABLE:
            k.disrupted = True
        if outcome == OK:
            if k.transfer_id is not None and transfer_id != k.transfer_id:
                self.fail(f"{k.key}: a second transfer {transfer_id} after {k.transfer_id}")
            k.transfer_id = transfer_id
        if outcome == DECLINED:
            if decline != "NO_ANSWER":
                self.fail(f"{k.key}: declined for {decline}; only NO_ANSWER can happen with these cards")
            if k.decline is not None and decline != k.decline:
                self.fail(f"{k.key}: declined for {decline} after {k.decline}")
            k.decline = decline
        k.answers.append(outcome)

    def _allowed(self, k: Key) -> frozenset[str]:
        if OK in k.answers:
            return RETRIABLE | {OK}          # the first result again, and only it
        if DECLINED in k.answers:
            return RETRIABLE | {DECLINED}
        if CLOSED in k.answers:
            return RETRIABLE | {CLOSED}
        first = FIRST_ANSWERS[(k.kind, k.card)]
        if k.disrupted and k.kind != "wrong_pin":
            # Pending, or cut off by a fault: it was done once or not at all, and the reconciler (for a
            # card) or the retry (for a transfer) gives its one final answer.
            extra = {"top_up": DECLINED, "withdraw": DECLINED, "pay_request": CLOSED}.get(k.kind, OK)
            return RETRIABLE | {OK, POOR, extra}
        # A refusal (insufficient funds) stored nothing: the key is free again and may now succeed.
        return first | RETRIABLE

    def record(self, entry_id: str, amount_minor: int, balance_after_minor: int) -> None:
        """A payment record a client saw: it must never change."""
        if balance_after_minor < 0:
            self.fail(f"record {entry_id}: negative balance after {balance_after_minor}")
        seen = self.records.setdefault(entry_id, (amount_minor, balance_after_minor))
        if seen != (amount_minor, balance_after_minor):
            self.fail(f"record {entry_id} changed from {seen} to {(amount_minor, balance_after_minor)}")

    def balances(self, users: int, initial_minor: int) -> list[int]:
        """The balance of every wallet that the final answers imply."""
        out = [initial_minor] * users
        for k in self.keys.values():
            if k.last != OK:
                continue
            if k.kind in ("send", "pay_request"):
                assert k.payee is not None
                out[k.user] -= k.amount_minor
                out[k.payee] += k.amount_minor
            elif k.kind == "top_up":
                out[k.user] += k.amount_minor
            elif k.kind == "withdraw":
                out[k.user] -= k.amount_minor
        return out
