"""A software platform authenticator: what a phone's secure hardware does, built with `cryptography`.

It makes an ES256 key pair per credential, answers `navigator.credentials.create()` with a "none"
attestation and `navigator.credentials.get()` with an assertion: authenticator data (RP id hash,
flags, signature counter), client data JSON (type, challenge, origin) and an ECDSA signature over
authenticatorData || SHA-256(clientDataJSON), all as a real authenticator encodes them. The server
verifies them with its WebAuthn library; nothing here stands in for the verifier.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40
ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    """One credential on one phone. `counter` is the signature counter the hardware keeps."""

    rp_id: str = RP_ID
    origin: str = ORIGIN
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    counter: int = 0

    def create(self, options_json: str, *, user_verified: bool = True) -> str:
        """The RegistrationResponseJSON for these creation options."""
        options = json.loads(options_json)
        assert options["rp"]["id"] == self.rp_id
        numbers = self.key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                                -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose_key
        auth_data = self._auth_data(UP | (UV if user_verified else 0) | AT) + attested
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps({
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["internal"]},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"})

    def get(self, options_json: str, *, user_verified: bool = True, challenge: str | None = None) -> str:
        """The AuthenticationResponseJSON signing the challenge of these request options."""
        options = json.loads(options_json)
        self.counter += 1
        auth_data = self._auth_data(UP | (UV if user_verified else 0))
        client_data = self._client_data("webauthn.get", challenge or options["challenge"])
        signature = self.key.sign(auth_data + sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature), "userHandle": None},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform"})

    def _auth_data(self, flags: int) -> bytes:
        return sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data: dict[str, Any] = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()
