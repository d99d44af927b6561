"""Identity documents: the resident ID fully checked, passports by pattern, adulthood in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from stdnum.cn import ric

from app.errors import IdentityRejected, InvalidInput
from app.identity.documents import DocumentType, age_on, check_adult, check_document, mask, today_in_china

SAMPLE = "11010519491231002X"  # GB 11643 sample: born 1949-12-31, check character X


def rid(birth: str, seq: str = "123") -> str:
    body = "110105" + birth + seq
    return body + ric.calc_check_digit(body + "0")


def test_sample_resident_id_passes_and_is_masked() -> None:
    doc = check_document(DocumentType.RESIDENT_ID, SAMPLE, date(1949, 12, 31))
    assert (doc.type, doc.number, doc.masked) == (DocumentType.RESIDENT_ID, SAMPLE, "1****************X")


def test_lowercase_x_and_spaces_around_are_normalised() -> None:
    doc = check_document(DocumentType.RESIDENT_ID, "  11010519491231002x ", date(1949, 12, 31))
    assert doc.number == SAMPLE


@pytest.mark.parametrize("wrong", ["110105194912310021", "110105194912310020", "11010519491231002" + "9"])
def test_wrong_check_character_is_rejected_as_such(wrong: str) -> None:
    with pytest.raises(IdentityRejected) as rejected:
        check_document(DocumentType.RESIDENT_ID, wrong, date(1949, 12, 31))
    assert rejected.value.reason == "BAD_CHECK_CHARACTER"


def test_birth_date_must_match_the_number() -> None:
    with pytest.raises(IdentityRejected) as rejected:
        check_document(DocumentType.RESIDENT_ID, SAMPLE, date(1949, 12, 30))
    assert rejected.value.reason == "BIRTH_DATE_MISMATCH"


@pytest.mark.parametrize("bad", [
    rid("19490231"),                 # no 31 February (check character correct)
    rid("19901301"),                 # no month 13
    "11010519491231002",             # 17 characters
    "11010519491231002XX",           # 19 characters
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width
    "11010519491231\x00002X",        # NUL
    "ABCDEFGHIJKLMNOPQR",            # letters
    "9" * 5000,                      # huge
])
def test_malformed_resident_ids_are_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_document(DocumentType.RESIDENT_ID, bad, date(1949, 12, 31))
    assert [p.field for p in refused.value.problems] == ["documentNumber"]


def test_generated_number_with_real_date_passes() -> None:
    number = rid("20000229")  # a leap day
    assert check_document(DocumentType.RESIDENT_ID, number, date(2000, 2, 29)).number == number


@pytest.mark.parametrize("good", ["E12345678", "g1234567", "AB1234"])
def test_passport_numbers_by_pattern(good: str) -> None:
    doc = check_document(DocumentType.PASSPORT, good, date(1990, 1, 1))
    assert doc.number == good.upper()
    assert doc.masked == good.upper()[0] + "*" * (len(good) - 2) + good[-1].upper()


@pytest.mark.parametrize("bad", ["12345678", "E1234", "E123456789", "E1234567!", "Ｅ12345678", "E1234\x005678"])
def test_non_passport_numbers_are_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        check_document(DocumentType.PASSPORT, bad, date(1990, 1, 1))


def test_exactly_eighteen_today_is_adult() -> None:
    check_adult(date(2008, 6, 15), today=date(2026, 6, 15))


def test_one_day_short_of_eighteen_is_underage() -> None:
    with pytest.raises(IdentityRejected) as rejected:
        check_adult(date(2008, 6, 16), today=date(2026, 6, 15))
    assert rejected.value.reason == "UNDERAGE"


def test_leap_day_birthday_comes_of_age_on_first_of_march() -> None:
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_future_birth_date_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        check_adult(date(2030, 1, 1), today=date(2026, 6, 15))


def test_today_is_the_date_in_shanghai_not_utc() -> None:
    # 16:00 UTC on 14 June is already 00:00 on 15 June in Asia/Shanghai (UTC+8).
    assert today_in_china(datetime(2026, 6, 14, 16, 0, tzinfo=UTC)) == date(2026, 6, 15)
    assert today_in_china(datetime(2026, 6, 14, 15, 59, 59, tzinfo=UTC)) == date(2026, 6, 14)


def test_mask_keeps_first_and_last() -> None:
    assert mask("E12345678") == "E*******8"
