"""app.redaction.redact: the quick look for anything a pattern could match never skips a secret."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app import redaction
from app.redaction import REDACTED, SENSITIVE_KEYS, redact

FRAGMENTS = [*SENSITIVE_KEYS, *(k.upper() for k in SENSITIVE_KEYS), "Bearer ", "bearer ", "BEARER ", ": ", "=", '"',
             "'", "771181", "4716123412341234", "abcdefgh12345678", "Did you mean 'pin'?", "/statements/",
             "x." + "a" * 64, ' - "POST /graphql HTTP/1.1" 200', "found: ", " ", "{", "}"]


def _every_substitution(text: str) -> str:
    text = redaction._DID_YOU_MEAN.sub("", text)
    text = redaction._KEYED.sub(lambda m: m.group("key") + REDACTED, text)
    text = redaction._BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return redaction._STATEMENT_LINK.sub(lambda m: m.group(1) + REDACTED, text)


@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=12).map("".join))
def test_redact_is_every_substitution(text: str) -> None:
    assert redact(text) == _every_substitution(text)


def test_an_access_line_is_left_as_it_is_and_secrets_are_not() -> None:
    line = '127.0.0.1:5555 - "POST /graphql HTTP/1.1" 200'
    assert redact(line) is line
    assert redact('{"pin": "771181"}') == '{"pin": [redacted]}'
    assert redact("Authorization: Bearer abcdefgh12345678") == "Authorization: Bearer [redacted]"
