"""Card numbers: normalised, brand by number range (IIN), length, Luhn check digit, CVV length.

Brand table after Braintree's credit-card-type. UnionPay policy: the Luhn digit is NOT enforced
for UnionPay (prefix 62), as Braintree does by default, because some UnionPay cards are issued
without a valid Luhn digit; the issuer is the judge of those numbers.

The full number and the CVV only pass through these functions in memory: nothing here logs,
stores or echoes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum import luhn

from app.errors import InvalidInput
from models import CardBrand

_SEPARATORS = re.compile(r"[ \-]")
_DIGITS = re.compile(r"[0-9]+")
MAX_YEARS_AHEAD = 20


@dataclass(frozen=True)
class BrandRule:
    brand: CardBrand
    ranges: tuple[tuple[int, int], ...]  # inclusive prefix ranges, each bound of the same width
    lengths: tuple[int, ...]
    cvv_length: int
    luhn: bool = True


RULES = (
    BrandRule(CardBrand.VISA, ((4, 4),), (13, 16, 19), 3),
    BrandRule(CardBrand.MASTERCARD, ((51, 55), (2221, 2720)), (16,), 3),
    BrandRule(CardBrand.AMEX, ((34, 34), (37, 37)), (15,), 4),
    BrandRule(CardBrand.UNIONPAY, ((62, 62),), (16, 17, 18, 19), 3, luhn=False),
    BrandRule(CardBrand.JCB, ((3528, 3589),), (16, 17, 18, 19), 3),
    BrandRule(CardBrand.DISCOVER, ((6011, 6011), (65, 65), (644, 649)), (16, 17, 18, 19), 3),
)


def normalise_number(raw: str) -> str:
    """Drop spaces and dashes; what is left must be ASCII digits."""
    number = _SEPARATORS.sub("", raw)
    if not number or not number.isascii() or not _DIGITS.fullmatch(number):
        raise InvalidInput("number", "must be the card number's digits 0-9 (spaces and dashes allowed)")
    return number


def rule_for(number: str) -> BrandRule:
    for rule in RULES:
        for low, high in rule.ranges:
            width = len(str(low))
            if len(number) >= width and low <= int(number[:width]) <= high:
                return rule
    raise InvalidInput("number", "is not a card of a supported brand (Visa, Mastercard, American Express, "
                                 "UnionPay, JCB, Discover)")


def check_number(raw: str) -> tuple[str, BrandRule]:
    """The normalised number and its brand rule, or InvalidInput naming what is wrong."""
    number = normalise_number(raw)
    rule = rule_for(number)
    if len(number) not in rule.lengths:
        raise InvalidInput("number", f"a {rule.brand.value} card number has "
                                     f"{' or '.join(str(n) for n in rule.lengths)} digits")
    if rule.luhn and not luhn.is_valid(number):
        raise InvalidInput("number", "is mistyped (its check digit is wrong)")
    return number, rule


def check_cvv(cvv: str, rule: BrandRule) -> None:
    if len(cvv) != rule.cvv_length or not cvv.isascii() or not _DIGITS.fullmatch(cvv):
        raise InvalidInput("cvv", f"must be the {rule.cvv_length} digits on the card")


def check_expiry(month: int, year: int, today: date) -> tuple[int, int]:
    """(month, four-digit year); a card is valid to the end of its expiry month."""
    if not 1 <= month <= 12:
        raise InvalidInput("expiryMonth", "must be 1 to 12")
    if 0 <= year < 100:
        year += 2000
    if (year, month) < (today.year, today.month):
        raise InvalidInput("expiryYear", "the card has expired")
    if year > today.year + MAX_YEARS_AHEAD:
        raise InvalidInput("expiryYear", "is too far in the future")
    return month, year
