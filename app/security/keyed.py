"""Keyed hashes (for lookups and dedupe) and sealed boxes (for what must be read back once)."""

from __future__ import annotations

import base64
import hmac
import os
from hashlib import sha256

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Keyring:
    """Derives one independent key per use from SECRET_KEY, so no two uses share a key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._aead = AESGCM(self._derive(b"imwallet seal v1"))

    def _derive(self, info: bytes) -> bytes:
        return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(self._secret)

    def fingerprint(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of a value under a purpose-specific key; hex, 64 characters."""
        key = self._derive(b"imwallet mac v1 " + purpose.encode())
        return hmac.new(key, value.encode(), sha256).hexdigest()

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, plaintext.encode(), None)).decode()

    def unseal(self, sealed: str) -> str:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()


def token_hash(token: str) -> str:
    """Session tokens carry 256 random bits, so a plain SHA-256 is enough at rest."""
    return sha256(token.encode()).hexdigest()
