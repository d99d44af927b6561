"""Login password policy: 8 to 128 characters, not a common password, no unencodable characters."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.identity.passwords import check_password


@pytest.mark.parametrize("good", ["correct horse battery", "a" * 7 + "Z", "密码很长很长很长很长", "x" * 128])
def test_acceptable_passwords_pass_unchanged(good: str) -> None:
    assert check_password(good) == good


@pytest.mark.parametrize(("bad", "message"), [
    ("short12", "must be 8 to 128 characters"),
    ("x" * 129, "must be 8 to 128 characters"),
    ("", "must be 8 to 128 characters"),
    ("password", "is too common; choose another"),
    ("PassWord1", "is too common; choose another"),
    ("12345678", "is too common; choose another"),
    ("iloveyou", "is too common; choose another"),
    ("abc\x00defgh", "contains an invalid character"),
    ("abcdefgh\udc00", "contains an invalid character"),
    ("abc\x07defgh", "contains a control character"),
])
def test_refused_passwords_say_why(bad: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(bad, "newPassword")
    assert [(p.field, p.message) for p in refused.value.problems] == [("newPassword", message)]
