"""Phone numbers: parsed with libphonenumber, kept and compared as E.164."""

from __future__ import annotations

import re

import phonenumbers

from app.errors import InvalidInput

DEFAULT_REGION = "CN"
# Only ASCII punctuation and digits: libphonenumber would quietly accept full-width digits.
_ALLOWED = re.compile(r"[0-9+\-(). ]{3,32}")


def normalise_phone(raw: str, field: str = "phone") -> str:
    """`+86 138 0013 8000`, `008613800138000` and `13800138000` all become `+8613800138000`."""
    text = raw.strip()
    if not _ALLOWED.fullmatch(text):
        raise InvalidInput(field, "is not a phone number")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(field, "is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(field, "is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    return e164[:-8] + "****" + e164[-4:]
