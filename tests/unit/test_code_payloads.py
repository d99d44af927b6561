"""Collection code payloads: what is signed verifies (across a key rotation), anything else is refused
with InvalidCollectionCode and nothing else, however hostile."""

from __future__ import annotations

import base64
import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.codes.payloads import (
    MAX_MEMO_LENGTH,
    MAX_PAYLOAD_LENGTH,
    CodeClaims,
    PayeeKind,
    sign_with,
    verify_with,
)
from app.errors import InvalidCollectionCode
from app.security.keyed import Keyring

OLD, NEW, OTHER = b"o" * 32, b"n" * 32, b"x" * 32
STATIC = CodeClaims(PayeeKind.USER, 12, 34, None, "CNY", "")
FIXED = CodeClaims(PayeeKind.MERCHANT, 2**63 - 1, 7, 1999, "CNY", "咖啡 x2 (large)")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _refused(ring: Keyring, payload: object) -> None:
    with pytest.raises(InvalidCollectionCode):
        verify_with(ring, payload)


@pytest.mark.parametrize("claims", [STATIC, FIXED, CodeClaims(PayeeKind.ORDER, 1, 1, 1, "CNY", "x" * MAX_MEMO_LENGTH)])
def test_what_is_signed_verifies_to_the_same_claims(claims: CodeClaims) -> None:
    ring = Keyring(NEW)
    payload = sign_with(ring, claims)
    assert verify_with(ring, payload) == claims
    assert payload.startswith("iwc1.")
    assert payload.count(".") == 3
    assert set(payload) <= set(string.ascii_letters + string.digits + "-_.")  # URL-safe as it stands
    assert len(payload) <= MAX_PAYLOAD_LENGTH


def test_a_static_code_is_short_enough_for_a_small_qr() -> None:
    assert len(sign_with(Keyring(NEW), STATIC)) < 80


def test_a_code_signed_before_a_rotation_verifies_after_it_and_new_codes_use_the_new_key() -> None:
    before = sign_with(Keyring(OLD), FIXED)
    rotated = Keyring(NEW, [OLD])
    assert verify_with(rotated, before) == FIXED
    after = sign_with(rotated, FIXED)
    assert after.split(".")[2] == rotated.key_id != before.split(".")[2]
    _refused(Keyring(OLD), after)          # a server that never had the new key
    _refused(Keyring(NEW), before)         # the old key retired: its codes die with it


def test_another_servers_code_is_refused() -> None:
    _refused(Keyring(NEW), sign_with(Keyring(OTHER), STATIC))


def _altered(payload: str, part: int, index: int) -> str:
    parts = payload.split(".")
    text = parts[part]
    swap = "A" if text[index] != "A" else "B"
    parts[part] = text[:index] + swap + text[index + 1:]
    return ".".join(parts)


@pytest.mark.parametrize("part", [1, 3])
def test_one_character_changed_anywhere_in_claims_or_mac_is_refused(part: int) -> None:
    ring = Keyring(NEW)
    payload = sign_with(ring, FIXED)
    for index in range(len(payload.split(".")[part])):
        _refused(ring, _altered(payload, part, index))


def test_a_swapped_key_id_is_refused_even_when_both_keys_are_on_the_ring() -> None:
    ring = Keyring(NEW, [OLD])
    parts = sign_with(ring, STATIC).split(".")
    parts[2] = Keyring(OLD).key_id
    _refused(ring, ".".join(parts))
    parts[2] = "ffffffff"  # a key nobody has
    _refused(ring, ".".join(parts))


def test_claims_rewritten_with_the_mac_kept_are_refused() -> None:
    ring = Keyring(NEW)
    v, _, kid, mac = sign_with(ring, STATIC).split(".")
    forged = _b64(json.dumps(["U", 13, 34, None, "CNY", ""], separators=(",", ":")).encode())
    _refused(ring, f"{v}.{forged}.{kid}.{mac}")


def test_truncations_and_other_versions_are_refused() -> None:
    ring = Keyring(NEW)
    payload = sign_with(ring, FIXED)
    for cut in range(len(payload)):
        _refused(ring, payload[:cut])
    _refused(ring, "iwc2" + payload[4:])
    _refused(ring, payload + ".")
    _refused(ring, payload + "A")
    _refused(ring, payload + "=")


def test_a_non_canonical_base64_spelling_of_the_mac_is_refused() -> None:
    ring = Keyring(NEW)
    v, claims, kid, mac = sign_with(ring, STATIC).split(".")
    # 16 bytes in 22 characters leave 4 unused bits in the last one: setting them spells the same bytes.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = last.index(mac[-1])
    twin = mac[:-1] + last[index ^ 1]
    assert base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(mac + "==")
    _refused(ring, f"{v}.{claims}.{kid}.{twin}")


def _signed_raw(ring: Keyring, body: bytes) -> str:
    """A payload whose claims are whatever bytes, correctly MACed: what a key leak would allow."""
    from app.codes import payloads

    secret = ring.secret(ring.key_id)
    assert secret is not None
    signed = f"iwc1.{_b64(body)}.{ring.key_id}"
    return f"{signed}.{_b64(payloads._mac(secret, signed))}"


@pytest.mark.parametrize("body", [
    b"", b"null", b"[]", b"{}", b'"U"', b"\xff\xfe", b"[" * 5000 + b"]" * 5000,
    b'["U",12,34,null,"CNY"]', b'["U",12,34,null,"CNY","",1]', b'["X",12,34,null,"CNY",""]',
    b'["U",0,34,null,"CNY",""]', b'["U",-1,34,null,"CNY",""]', b'["U",true,34,null,"CNY",""]',
    b'["U",12.0,34,null,"CNY",""]', b'["U",9223372036854775808,34,null,"CNY",""]',
    b'["U",12,34,0,"CNY",""]', b'["U",12,34,-5,"CNY",""]', b'["U",12,34,"100","CNY",""]',
    b'["U",12,34,null,"cny",""]', b'["U",12,34,null,"CN",""]', b'["U",12,34,null,"CNY",5]',
    b'["U",12,34,null,"CNY","' + b"x" * (MAX_MEMO_LENGTH + 1) + b'"]', b'["U",12,34,NaN,"CNY",""]',
    b'["U",12,34,1e400,"CNY",""]', b'["U",' + b"9" * 5000 + b',34,null,"CNY",""]',
])
def test_well_signed_but_malformed_claims_are_refused(body: bytes) -> None:
    ring = Keyring(NEW)
    _refused(ring, _signed_raw(ring, body))


@pytest.mark.parametrize("payload", [
    None, 12, b"iwc1", "", ".", "...", "iwc1...", "iwc1.a.b.c", "iwc1.a.0000000g.c", "iwc1.é.00000000.a",
    "x" * (MAX_PAYLOAD_LENGTH + 1), "iwc1." + "A" * 10_000 + ".00000000.AAAA", "iwc1.\x00.00000000.\x00",
    "iwc1.AAAA.00000000.AAAAAAAAAAAAAAAAAAAAAA==", "iwc1.AAAA.00000000.A",
])
def test_garbage_is_refused_as_an_invalid_code(payload: object) -> None:
    _refused(Keyring(NEW), payload)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=600), st.binary(max_size=200).map(lambda b: "iwc1." + _b64(b) + ".00000000.x"),
                 st.text(alphabet=string.ascii_letters + string.digits + "-_.", max_size=300)))
def test_no_text_raises_anything_but_invalid_collection_code(payload: str) -> None:
    _refused(Keyring(NEW), payload)


@pytest.mark.parametrize("claims", [
    CodeClaims(PayeeKind.USER, 0, 1, None, "CNY", ""),
    CodeClaims(PayeeKind.USER, 1, 1, 0, "CNY", ""),
    CodeClaims(PayeeKind.USER, 1, 1, None, "CNY", "x" * (MAX_MEMO_LENGTH + 1)),
    CodeClaims(PayeeKind.USER, 1, 1, None, "yuan", ""),
])
def test_sign_refuses_claims_no_code_may_carry(claims: CodeClaims) -> None:
    with pytest.raises(ValueError, match=r"^(payee_id|amount_minor|memo|currency)$"):
        sign_with(Keyring(NEW), claims)
