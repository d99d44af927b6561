"""One error hierarchy: every domain error has exactly one GraphQL face, found through its classes."""

from __future__ import annotations

import inspect

from app import errors as domain
from schema import errors as faces


def _domain_errors() -> list[type[domain.DomainError]]:
    return [c for _, c in inspect.getmembers(domain, inspect.isclass)
            if issubclass(c, domain.DomainError) and c is not domain.DomainError]


def test_every_domain_error_has_a_graphql_face() -> None:
    faceless = [c.__name__ for c in _domain_errors()
                if not any(k in faces._TABLE for k in c.__mro__ if k is not domain.DomainError)]
    assert faceless == []


def test_a_face_reads_the_domain_errors_own_fields() -> None:
    shown = faces.from_domain(domain.InvalidPin(attempts_left=2))
    assert isinstance(shown, faces.InvalidPinError)
    assert (shown.code, shown.message, shown.attempts_left) == (
        domain.ErrorCode.INVALID_PIN, "Wrong payment PIN; 2 attempt(s) left.", 2)
    funds = faces.from_domain(domain.InsufficientFunds(balance_minor=150, amount_minor=1000, currency="CNY"))
    assert isinstance(funds, faces.InsufficientFundsError)
    assert (str(funds.available.amount), str(funds.requested.amount)) == ("1.50", "10.00")
    invalid = faces.from_domain(domain.InvalidInput("phone", "is not a phone number"))
    assert isinstance(invalid, faces.InvalidInputError)
    assert [(f.field, f.message) for f in invalid.fields] == [("phone", "is not a phone number")]
