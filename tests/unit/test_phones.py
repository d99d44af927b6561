"""Phone numbers are kept as E.164; every usual spelling of a number is the same number."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.identity.phones import mask_phone, normalise_phone


@pytest.mark.parametrize("spelling", [
    "+86 138 0013 8000", "008613800138000", "13800138000", "+8613800138000", " 138-0013-8000 ",
    "(+86) 138 0013 8000", "+86.138.0013.8000",
])
def test_spellings_of_one_mainland_number_normalise_to_e164(spelling: str) -> None:
    assert normalise_phone(spelling) == "+8613800138000"


def test_other_countries_keep_their_code() -> None:
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("0044 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("bad", [
    "",                       # empty
    "12",                     # too short
    "1380013800",             # a digit short for a mobile number
    "+86 138 0013 8000 1234 5678 9",  # too long
    "１３８００１３８０００",     # full-width digits: libphonenumber would accept them
    "١٣٨٠٠١٣٨٠٠٠",            # Arabic-Indic digits
    "+86 138 0013 800O",      # a letter O for a zero
    "138\x0000138000",        # NUL
    "13800138000\ud800",      # a lone surrogate
    "+999 1234 5678",         # no such country code
    "9" * 10_000,             # huge
])
def test_non_numbers_are_refused_with_the_field_named(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(bad, "phone")
    assert [p.field for p in refused.value.problems] == ["phone"]


def test_masked_form_shows_country_and_last_four() -> None:
    assert mask_phone("+8613800138000") == "+86138****8000"
