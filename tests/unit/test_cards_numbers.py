"""Card numbers: brand by range, length, Luhn (not for UnionPay), CVV length, expiry."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum import luhn

from app.cards.numbers import check_cvv, check_expiry, check_number, rule_for
from app.cards.sandbox import TEST_CARDS
from app.errors import InvalidInput
from models import CardBrand


def _problem(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    return exc.value.problems[0].field, exc.value.problems[0].message


@pytest.mark.parametrize(("number", "brand"), [
    ("4242424242424242", CardBrand.VISA), ("4242-4242-4242-4242", CardBrand.VISA),
    ("4242 4242 4242 4242", CardBrand.VISA), ("4222222222222", CardBrand.VISA),
    ("5555555555554444", CardBrand.MASTERCARD), ("5105105105105100", CardBrand.MASTERCARD),
    ("2223003122003222", CardBrand.MASTERCARD), ("2720990000000007", CardBrand.MASTERCARD),
    ("378282246310005", CardBrand.AMEX), ("371449635398431", CardBrand.AMEX),
    ("6200000000000005", CardBrand.UNIONPAY), ("3566002020360505", CardBrand.JCB),
    ("6011111111111117", CardBrand.DISCOVER), ("6445644564456445", CardBrand.DISCOVER),
    ("6500000000000002", CardBrand.DISCOVER),
])
def test_brand_by_number_range(number: str, brand: CardBrand) -> None:
    digits, rule = check_number(number)
    assert (digits, rule.brand) == (number.replace(" ", "").replace("-", ""), brand)


@pytest.mark.parametrize(("number", "field_message"), [
    ("4242424242424241", "is mistyped (its check digit is wrong)"),
    ("5555555555554445", "is mistyped (its check digit is wrong)"),
    ("424242424242424", "a VISA card number has 13 or 16 or 19 digits"),
    ("37828224631000", "a AMEX card number has 15 digits"),
    ("2220990000000008", "is not a card of a supported brand (Visa, Mastercard, American Express, UnionPay, "
                         "JCB, Discover)"),
    ("2721000000000004", "is not a card of a supported brand (Visa, Mastercard, American Express, UnionPay, "
                         "JCB, Discover)"),
    ("5600000000000003", "is not a card of a supported brand (Visa, Mastercard, American Express, UnionPay, "
                         "JCB, Discover)"),
    ("４２４２４２４２４２４２４２４２", "must be the card number's digits 0-9 (spaces and dashes allowed)"),
    ("4242.4242.4242.4242", "must be the card number's digits 0-9 (spaces and dashes allowed)"),
    ("", "must be the card number's digits 0-9 (spaces and dashes allowed)"),
])
def test_bad_numbers_are_refused_with_the_reason(number: str, field_message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_number(number)
    assert _problem(refused) == ("number", field_message)


def test_unionpay_check_digit_is_not_enforced_as_braintree_does() -> None:
    # 6200000000000006 fails Luhn; a Visa with a wrong digit is refused, a UnionPay one is the issuer's call
    assert check_number("6200000000000006")[1].brand == CardBrand.UNIONPAY
    assert rule_for("6200000000000006").luhn is False


@pytest.mark.parametrize(("number", "good", "bad"), [
    ("378282246310005", "1234", "123"), ("4242424242424242", "123", "1234"), ("6200000000000005", "123", "12"),
])
def test_cvv_length_follows_the_brand(number: str, good: str, bad: str) -> None:
    rule = check_number(number)[1]
    check_cvv(good, rule)
    with pytest.raises(InvalidInput) as refused:
        check_cvv(bad, rule)
    assert _problem(refused) == ("cvv", f"must be the {len(good)} digits on the card")
    with pytest.raises(InvalidInput):
        check_cvv("１２３", check_number("4242424242424242")[1])


def test_expiry_is_valid_to_the_end_of_its_month() -> None:
    today = date(2026, 11, 27)
    assert check_expiry(11, 2026, today) == (11, 2026)
    assert check_expiry(1, 31, today) == (1, 2031)
    for month, year, field in ((10, 2026, "expiryYear"), (13, 2030, "expiryMonth"), (0, 2030, "expiryMonth"),
                               (1, 2047, "expiryYear")):
        with pytest.raises(InvalidInput) as refused:
            check_expiry(month, year, today)
        assert refused.value.problems[0].field == field


def test_every_sandbox_test_card_is_a_valid_number() -> None:
    assert len(TEST_CARDS) == 15
    for number in TEST_CARDS:
        assert check_number(number)[0] == number


def test_a_19_digit_family_number_behaves_like_its_test_card() -> None:
    from app.cards.sandbox import LOST_ANSWER, test_card

    family = "4000000000003030" + "07"
    number = family + luhn.calc_check_digit(family)
    assert check_number(number)[0] == number
    assert test_card(number) == (None, LOST_ANSWER)
    assert test_card("4000000000003030") == (None, LOST_ANSWER)
    assert test_card("4111111111111111") == (None, "approve")
