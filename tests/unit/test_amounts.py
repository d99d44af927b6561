"""Amounts at the API edge: exact integer minor units, strict refusals."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.ledger.amounts import MAX_AMOUNT_MINOR, format_amount, parse_amount


@pytest.mark.parametrize(("text", "minor"), [
    ("12.34", 1234), ("0.01", 1), ("1", 100), ("1.5", 150), ("50000.00", 5_000_000), ("0.10", 10),
    ("100000000000", 10_000_000_000_000),
])
def test_parses_decimal_strings_to_minor_units(text: str, minor: int) -> None:
    assert parse_amount(text, "CNY") == minor


@pytest.mark.parametrize(("text", "message"), [
    ("0", "must be greater than zero"), ("0.00", "must be greater than zero"),
    ("-1", 'must be a positive decimal such as "12.34"'), ("+1", 'must be a positive decimal such as "12.34"'),
    ("1.001", "has more than 2 decimal places"), ("NaN", 'must be a positive decimal such as "12.34"'),
    ("Infinity", 'must be a positive decimal such as "12.34"'), ("1e3", 'must be a positive decimal such as "12.34"'),
    ("99999999999999999999", 'must be a positive decimal such as "12.34"'), ("100000000000.01", "is too large"),
    ("", 'must be a positive decimal such as "12.34"'), (" 1", 'must be a positive decimal such as "12.34"'),
    ("1 ", 'must be a positive decimal such as "12.34"'), ("１０", 'must be a positive decimal such as "12.34"'),
    ("١٢", 'must be a positive decimal such as "12.34"'), ("1_000", 'must be a positive decimal such as "12.34"'),
    ("1,000", 'must be a positive decimal such as "12.34"'), ("01", 'must be a positive decimal such as "12.34"'),
    (".5", 'must be a positive decimal such as "12.34"'), ("5.", 'must be a positive decimal such as "12.34"'),
    ("0x10", 'must be a positive decimal such as "12.34"'),
])
def test_refuses_anything_but_a_plain_positive_decimal(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_amount(text, "CNY", field="amount")
    assert [(p.field, p.message) for p in refused.value.problems] == [("amount", message)]


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_amount("1.00", "XXX")
    assert refused.value.problems[0].field == "currency"


@pytest.mark.parametrize(("minor", "text"), [
    (1234, "12.34"), (1, "0.01"), (0, "0.00"), (-5, "-0.05"), (-123456, "-1234.56"), (10**15, "10000000000000.00"),
])
def test_formats_minor_units_exactly(minor: int, text: str) -> None:
    assert format_amount(minor, "CNY") == text
    if 0 < minor <= MAX_AMOUNT_MINOR:
        assert parse_amount(text, "CNY") == minor
