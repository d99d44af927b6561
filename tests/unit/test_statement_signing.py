"""Statement keys and tokens: derived alike from one secret, published, and unforgeable."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from app.redaction import redact
from app.security.keyed import Keyring
from app.statements import signing, tokens

SECRET, OLD = b"s" * 32, b"o" * 32


def test_every_process_derives_the_same_key_and_a_rotation_keeps_the_old_one_published() -> None:
    sha = hashlib.sha256(b"a statement").hexdigest()
    before = signing.StatementKeys(OLD)
    signed = before.sign(sha)
    after = signing.StatementKeys(SECRET, [OLD])

    assert signing.StatementKeys(OLD).sign(sha) == signed  # Ed25519 is deterministic, and so is the key
    assert [(k.key_id, k.current) for k in after.published] == [(after.key_id, True), (before.key_id, False)]
    doc = signing.keys_from_document(signing.keys_document(after.published))
    assert signing.verify(doc, signed.signature, sha) == doc[1]
    assert signing.verify(doc, signed.signature, sha, key_id=after.key_id) is None
    assert signing.verify(doc, signed.signature, hashlib.sha256(b"a statemenT").hexdigest()) is None
    assert signing.verify(doc, "not base64!", sha) is None


def test_a_token_opens_only_as_issued_and_never_appears_in_a_log_line() -> None:
    keyring = Keyring(SECRET)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    spec = tokens.Spec(7, "王小明", "CNY", at, at, "CSV", 42, at, "k1")
    token = tokens.issue(keyring, spec, "ab" * 32, at)
    payload, mac = token.split(".")

    opened = tokens.open_token(keyring, token)
    assert opened is not None
    assert (opened.spec, opened.sha256_hex, opened.expires_at) == (spec, "ab" * 32, at)
    assert tokens.open_token(Keyring(OLD), token) is None
    assert tokens.open_token(Keyring(OLD, [SECRET]), token) == opened  # a rotation keeps links working
    assert tokens.open_token(keyring, payload[:-1] + "A." + mac) is None
    assert tokens.open_token(keyring, "x" * 3000) is None
    assert redact(f'"GET /statements/{token} HTTP/1.1" 200') == '"GET /statements/[redacted] HTTP/1.1" 200'
