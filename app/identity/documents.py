"""Identity documents: checked fully, then kept only as a keyed hash and a masked form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from app.errors import IdentityRejected, InvalidInput

CHINA_TZ = ZoneInfo("Asia/Shanghai")
ADULT_AGE = 18
# Nobody alive was born more than 130 years ago (the oldest person on record reached 122): an older
# date on a passport, which carries no check of its own, is a typo or a lie.
MAX_AGE = 130
# ICAO 9303 allows up to 9 characters; Chinese passports are a letter and 8 more (E12345678).
_PASSPORT = re.compile(r"[A-Z][A-Z0-9]{5,8}")


class DocumentType(StrEnum):
    RESIDENT_ID = "RESIDENT_ID"
    PASSPORT = "PASSPORT"


@dataclass(frozen=True)
class CheckedDocument:
    type: DocumentType
    number: str
    masked: str


def check_document(doc_type: DocumentType, raw_number: str, date_of_birth: date) -> CheckedDocument:
    number = raw_number.strip().upper()
    if not number.isascii():
        raise InvalidInput("documentNumber", "must use the letters A-Z and digits 0-9 only")
    if doc_type == DocumentType.RESIDENT_ID:
        _check_resident_id(number, date_of_birth)
    elif not _PASSPORT.fullmatch(number):
        raise InvalidInput("documentNumber", "is not a passport number (a letter and 5 to 8 letters or digits)")
    return CheckedDocument(doc_type, number, mask(number))


def _check_resident_id(number: str, date_of_birth: date) -> None:
    """GB 11643: 18 characters, ISO 7064 MOD 11-2 check character, a real birth date inside."""
    if len(number) != 18:
        raise InvalidInput("documentNumber", "a resident ID number has 18 characters")
    try:
        ric.validate(number)
        born = ric.get_birth_date(number)
    except stdnum_errors.InvalidChecksum as exc:
        raise IdentityRejected("BAD_CHECK_CHARACTER", "The ID number's check character is wrong.") from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidInput("documentNumber", "is not a valid resident ID number") from exc
    if born != date_of_birth:
        raise IdentityRejected("BIRTH_DATE_MISMATCH", "The birth date does not match the ID number.")


def today_in_china(now: datetime | None = None) -> date:
    """The calendar date in Asia/Shanghai: ages count there, not in UTC (8 hours behind)."""
    return (now or datetime.now(UTC)).astimezone(CHINA_TZ).date()


def check_adult(date_of_birth: date, today: date | None = None) -> None:
    today = today or today_in_china()
    if date_of_birth > today:
        raise InvalidInput("dateOfBirth", "is in the future")
    if age_on(date_of_birth, today) > MAX_AGE:
        raise InvalidInput("dateOfBirth", f"is more than {MAX_AGE} years ago")
    if age_on(date_of_birth, today) < ADULT_AGE:
        raise IdentityRejected("UNDERAGE", f"You must be {ADULT_AGE} or older to use the wallet.")


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def mask(number: str) -> str:
    return number[0] + "*" * (len(number) - 2) + number[-1]


def mask_name(real_name: str) -> str:
    """`王小明` becomes `**明`: enough for a payer to recognise, not enough to learn."""
    return "*" * (len(real_name) - 1) + real_name[-1]
