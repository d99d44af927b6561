"""Ed25519 keys for statements, derived from the server secrets: every process and host signs alike.

The signing key of each server secret (SECRET_KEY, then PREVIOUS_SECRET_KEYS) is an HKDF seed fed to
Ed25519, so nothing new is stored and a rotation keeps the previous keys published for verifiers.
A statement's signature is Ed25519 over `SIGNED_PREFIX + sha256(file).hexdigest()`: the file is
hashed as it streams, so neither signer nor verifier holds it whole.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNED_PREFIX = b"imwallet statement v1\n"
ALGORITHM = "Ed25519"


def signed_message(sha256_hex: str) -> bytes:
    """What the signature covers for a file of this SHA-256 (lower-case hex)."""
    return SIGNED_PREFIX + sha256_hex.encode("ascii")


def public_key_id(public_raw: bytes) -> str:
    """A key's public name: the first 16 hex digits of the SHA-256 of its raw public key."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    raw: bytes
    current: bool

    def verifies(self, signature: bytes, sha256_hex: str) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, signed_message(sha256_hex))
        except (InvalidSignature, ValueError):
            return False
        return True

    def as_json(self) -> dict[str, object]:
        return {"keyId": self.key_id, "algorithm": ALGORITHM, "current": self.current,
                "publicKey": base64.b64encode(self.raw).decode("ascii")}


@dataclass(frozen=True)
class Signed:
    signature: str  # base64
    key_id: str


class StatementKeys:
    """The signing key of the current server secret and the public keys of every known one."""

    def __init__(self, secret: bytes, previous: Sequence[bytes] = ()) -> None:
        self._signer = _private(secret)
        raws = [_raw(self._signer)] + [_raw(_private(old)) for old in previous]
        self.published = [PublicKey(public_key_id(raw), raw, i == 0) for i, raw in enumerate(raws)]

    @property
    def key_id(self) -> str:
        return self.published[0].key_id

    def sign(self, sha256_hex: str) -> Signed:
        signature = self._signer.sign(signed_message(sha256_hex))
        return Signed(base64.b64encode(signature).decode("ascii"), self.key_id)


def _private(secret: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"imwallet statement signing v1").derive(secret)
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def keys_document(keys: Sequence[PublicKey]) -> dict[str, object]:
    """The JSON published at /.well-known/imwallet-statement-keys."""
    return {"signedMessage": SIGNED_PREFIX.decode() + "<sha256 of the file, lower-case hex>",
            "keys": [k.as_json() for k in keys]}


def keys_from_document(document: object) -> list[PublicKey]:
    """The public keys in a keys document; ValueError if it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a statement keys document")
    found = []
    for item in document["keys"]:
        try:
            raw = base64.b64decode(item["publicKey"], validate=True)
            found.append(PublicKey(str(item["keyId"]), raw, bool(item.get("current"))))
        except (KeyError, TypeError, binascii.Error) as exc:
            raise ValueError("a key in the document is malformed") from exc
    return found


def verify(keys: Sequence[PublicKey], signature_b64: str, sha256_hex: str, key_id: str | None = None
           ) -> PublicKey | None:
    """The published key that made this signature of a file with this hash, or None."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except binascii.Error:
        return None
    for key in keys:
        if (key_id is None or key.key_id == key_id) and key.verifies(signature, sha256_hex):
            return key
    return None
