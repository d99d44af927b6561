"""Keyed hashes (for lookups and dedupe) and sealed boxes (for what must be read back once), under
rotating keys.

Every keyed value is stored with the id of the key that made it. New values always use the current
key (SECRET_KEY); values made under a previous key (PREVIOUS_SECRET_KEYS) still verify and unseal,
and a lookup asks for the value under every key, so a rotation breaks nothing already stored.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ID_LENGTH = 8


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(secret)


def key_id(secret: bytes) -> str:
    """A short public name for a secret: derived from it, so ids cannot drift from their keys."""
    return _derive(secret, b"imwallet key id v1").hex()[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class Keyed:
    """A keyed digest and the id of the key that made it: store both."""

    digest: str
    key_id: str


class _Key:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.id = key_id(secret)
        self.aead = AESGCM(_derive(secret, b"imwallet seal v1"))

    def mac(self, purpose: str, value: str) -> str:
        key = _derive(self.secret, b"imwallet mac v1 " + purpose.encode())
        return hmac.new(key, value.encode(), sha256).hexdigest()


class Keyring:
    """Derives one independent key per use from each server secret, so no two uses share a key."""

    def __init__(self, secret: bytes, previous: Sequence[bytes] = ()) -> None:
        self._current = _Key(secret)
        self._keys = {self._current.id: self._current}
        for old in previous:
            self._keys.setdefault(key_id(old), _Key(old))

    @property
    def key_id(self) -> str:
        return self._current.id

    def secret(self, key_id: str) -> bytes | None:
        """The raw server secret with this id (for peppers keyed elsewhere), None if retired."""
        key = self._keys.get(key_id)
        return key.secret if key else None

    def fingerprint(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of a value under the current purpose-specific key; hex, 64 characters."""
        return self._current.mac(purpose, value)

    def keyed(self, purpose: str, value: str) -> Keyed:
        return Keyed(self._current.mac(purpose, value), self._current.id)

    def candidates(self, purpose: str, value: str) -> list[str]:
        """The value's digest under every known key, current first: for lookups across a rotation."""
        return [self._current.mac(purpose, value),
                *(k.mac(purpose, value) for k in self._keys.values() if k is not self._current)]

    def matches(self, purpose: str, value: str, digest: str, key_id: str = "") -> bool:
        """Whether `digest` is this value's under the key it names (under any known key if unnamed)."""
        keys = [self._keys[key_id]] if key_id in self._keys else [] if key_id else list(self._keys.values())
        return any(hmac.compare_digest(k.mac(purpose, value), digest) for k in keys)

    def seal(self, plaintext: str) -> str:
        """AES-GCM under the current key, as `<key id>:<base64 nonce+ciphertext>`."""
        nonce = os.urandom(12)
        box = base64.urlsafe_b64encode(nonce + self._current.aead.encrypt(nonce, plaintext.encode(), None))
        return f"{self._current.id}:{box.decode()}"

    def unseal(self, sealed: str) -> str:
        kid, _, box = sealed.rpartition(":")
        raw = base64.urlsafe_b64decode(box.encode())
        # Boxes sealed before key ids existed carry none: the key that opens one is the one it was.
        keys = [self._keys[kid]] if kid in self._keys else list(self._keys.values()) if not kid else []
        for key in keys:
            try:
                return key.aead.decrypt(raw[:12], raw[12:], None).decode()
            except InvalidTag:
                continue  # an unnamed box and not this key
        raise ValueError(f"no key {kid or '(unnamed)'} on the keyring can open this box")


def token_hash(token: str) -> str:
    """Session tokens carry 256 random bits, so a plain SHA-256 is enough at rest."""
    return sha256(token.encode()).hexdigest()
