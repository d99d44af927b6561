"""The notification signature a merchant checks, the secret it is made with, the notify URL rules, the
retry backoff and the SSRF guard's address test."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.errors import InvalidInput
from app.notifications.delivery import RefusedDestination, _public, check_destination
from app.notifications.outbox import check_notify_url, keyring_secrets
from app.notifications.signing import SignatureError, header, sign, verify
from app.polling import backoff_seconds
from app.security.keyed import Keyring

SECRET = "whsec_" + "k" * 43
BODY = b'{"id":"evt_1","type":"order.paid","createdAt":"2026-12-02T01:00:00.000+00:00","sequence":1,"data":{}}'
NOW = 1_796_173_000


def test_a_signed_body_verifies_and_returns_its_timestamp() -> None:
    signed = header([SECRET], NOW, BODY)
    assert signed == f"t={NOW},v1=" + hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert verify(SECRET, signed, BODY, now=NOW + 10) == NOW
    assert verify(SECRET, signed, BODY.decode(), now=NOW - 10) == NOW  # text of the same bytes


@pytest.mark.parametrize("body", [BODY.replace(b"order.paid", b"order.pain"), BODY + b" ", BODY[:-1], b""])
def test_a_tampered_body_is_refused(body: bytes) -> None:
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(SECRET, header([SECRET], NOW, BODY), body, now=NOW)


def test_the_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(SECRET + "x", header([SECRET], NOW, BODY), BODY, now=NOW)


def test_a_changed_timestamp_is_refused() -> None:
    signed = header([SECRET], NOW, BODY).replace(f"t={NOW}", f"t={NOW + 1}")
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(SECRET, signed, BODY, now=NOW)


def test_an_old_or_far_future_timestamp_is_refused() -> None:
    signed = header([SECRET], NOW, BODY)
    assert verify(SECRET, signed, BODY, now=NOW + 300) == NOW
    with pytest.raises(SignatureError, match="beyond the tolerance of 300 s"):
        verify(SECRET, signed, BODY, now=NOW + 301)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, signed, BODY, now=NOW - 301)
    assert verify(SECRET, signed, BODY, now=NOW + 3000, tolerance=3600) == NOW


@pytest.mark.parametrize("bad", ["", "v1=abc", f"t={NOW}", f"t=soon,v1={'0' * 64}", "garbage"])
def test_a_malformed_header_is_refused(bad: str) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, bad, BODY, now=NOW)


def test_any_of_several_signatures_may_match_during_a_rotation() -> None:
    old, new = SECRET, "whsec_" + "n" * 43
    both = header([new, old], NOW, BODY)
    assert both.count("v1=") == 2
    assert verify(new, both, BODY, now=NOW) == NOW
    assert verify(old, both, BODY, now=NOW) == NOW
    with pytest.raises(SignatureError):
        verify("whsec_other", both, BODY, now=NOW)
    # entries in another order, with spaces, and an unknown scheme are tolerated
    assert verify(old, f"v0=zz, v1={sign(old, NOW, BODY)}, t={NOW}", BODY, now=NOW) == NOW


def test_the_secret_is_derived_per_merchant_and_rotates_with_the_server_key() -> None:
    a, b = b"a" * 40, b"b" * 40
    (one,) = keyring_secrets(Keyring(a), 1)
    assert one.startswith("whsec_")
    assert len(one) == 6 + 43
    assert keyring_secrets(Keyring(a), 1) == [one]  # stable: nothing stored, derived again
    assert keyring_secrets(Keyring(a), 2) != [one]
    rotated = keyring_secrets(Keyring(b, [a]), 1)
    assert rotated[0] != one
    assert rotated[1:] == [one]


def _cli(*args: str, body: bytes) -> subprocess.CompletedProcess[bytes]:
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    return subprocess.run([imwallet, "verify-notification", *args], input=body, capture_output=True,
                          timeout=60, check=False, env={**os.environ, "IMWALLET_ENV": "test"})


def test_the_command_line_check() -> None:
    now = int(time.time())
    signed = header([SECRET], now, BODY)
    ok = _cli("--secret", SECRET, "--header", signed, body=BODY)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"valid: signed at {now}".encode())
    bad = _cli("--secret", SECRET, "--header", signed, body=BODY.replace(b"1", b"2"))
    assert bad.returncode == 1
    assert b"INVALID: no v1 signature matches" in bad.stderr
    stale = _cli("--secret", SECRET, "--header", header([SECRET], now - 400, BODY), body=BODY)
    assert stale.returncode == 1
    assert b"tolerance" in stale.stderr
    lenient = _cli("--secret", SECRET, "--tolerance", "600", "--header", header([SECRET], now - 400, BODY), body=BODY)
    assert lenient.returncode == 0


@pytest.mark.parametrize("url", ["https://shop.example/hooks", "http://shop.example:8080/h?x=1",
                                 "HTTPS://SHOP.EXAMPLE/h", "http://127.0.0.1:9000/h"])
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_notify_url(f"  {url} ") == url


@pytest.mark.parametrize("url", ["ftp://shop.example/", "file:///etc/passwd", "gopher://127.0.0.1:6379/_x",
                                 "javascript:alert(1)", "shop.example/hooks", "http://", "http:///path",
                                 "https://user:pw@shop.example/", "https://shop.example/a b",
                                 "https://shop.example:99999/", "http://shop.example/\nHost: x", "",
                                 "https://shop.example/" + "a" * 2048])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_notify_url(url)
    assert refused.value.problems[0].field == "notifyUrl"


def test_production_can_require_https() -> None:
    with pytest.raises(InvalidInput, match="https://"):
        check_notify_url("http://shop.example/h", require_https=True)
    assert check_notify_url("https://shop.example/h", require_https=True)


def test_backoff_grows_is_jittered_and_capped() -> None:
    for attempts in range(0, 2000, 7):
        delay = backoff_seconds(attempts, 1.0, 3600.0)
        ceiling = min(3600.0, 2.0 ** min(attempts, 32))
        assert ceiling / 2 <= delay <= ceiling
    assert len({backoff_seconds(10, 1.0, 3600.0) for _ in range(20)}) > 1


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1%eth0", "fc00::1",  # noqa: S104
                                     "::ffff:127.0.0.1", "::ffff:10.0.0.1"])
def test_non_public_addresses_are_not_called(address: str) -> None:
    assert not _public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are(address: str) -> None:
    assert _public(address)


def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    for url in ("http://localhost:8000/h", "http://127.0.0.1/h", "http://[::1]:9/h"):
        with pytest.raises(RefusedDestination):
            asyncio.run(check_destination(url))


DOC = Path(__file__).resolve().parents[2] / "docs" / "merchant-notifications.md"


def _doc_block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, f"no {language} block in {DOC.name}"
    return found.group(1)


def test_the_documented_python_recipe_verifies_as_the_server_signs() -> None:
    scope: dict[str, Any] = {}
    exec(_doc_block("python"), scope)  # noqa: S102 - our own documentation, run as a merchant would copy it
    check = scope["verify_imwallet"]
    now = int(time.time())
    signed = header([SECRET], now, BODY)
    assert check(SECRET, signed, BODY)
    assert not check(SECRET, signed, BODY + b" ")
    assert not check(SECRET + "x", signed, BODY)
    assert not check(SECRET, header([SECRET], now - 400, BODY), BODY)
    assert check(SECRET, header(["whsec_new", SECRET], now, BODY), BODY)  # during a rotation


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_the_documented_shell_recipe_verifies_as_the_server_signs(tmp_path: Path) -> None:
    body = BODY + b"\n"  # a trailing newline must survive: the recipe reads the file with cat

    def run(signed: str, saved: bytes) -> str:
        (tmp_path / "body.json").write_bytes(saved)
        done = subprocess.run(["bash", "-c", _doc_block("sh")], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "HEADER": signed, "SECRET": SECRET}, timeout=30, check=False)
        return done.stdout.strip()

    now = int(time.time())
    assert run(header([SECRET], now, body), body) == "valid"
    assert run(header(["whsec_new", SECRET], now, body), body) == "valid"
    assert run(header([SECRET], now, body), BODY) == "INVALID"
    assert run(header([SECRET + "x"], now, body), body) == "INVALID"
    assert run(header([SECRET], now - 400, body), body) == "INVALID"


def test_the_operator_prints_a_merchants_secret_as_the_server_derives_it(tmp_path: Path) -> None:
    current, previous = "c" * 40, "p" * 40
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    env = {**os.environ, "IMWALLET_ENV": "test", "SECRET_KEY": current, "PREVIOUS_SECRET_KEYS": previous,
           "DATABASE_URL": f"sqlite://{tmp_path}/unused.sqlite3"}
    done = subprocess.run([imwallet, "notification-secret", "--merchant", "42", "--all"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == keyring_secrets(Keyring(current.encode(), [previous.encode()]), 42)
    assert "previous SECRET_KEY" in lines[1]
