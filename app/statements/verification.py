"""Checking a statement file against its detached signature (`imwallet verify-statement`).

The signature comes from a `.sig` file (JSON `{"keyId", "signature"}`, as a client saves what
`exportStatement` returned) or as the bare base64 text; the keys from the server's published JSON
(a URL or a saved file) or, on a server host, derived from its own secrets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.statements.signing import PublicKey, keys_from_document, verify


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DetachedSignature:
    signature: str
    key_id: str | None


def read_signature(text: str) -> DetachedSignature:
    """A `.sig` file's content, or a bare base64 signature."""
    stripped = text.strip()
    if stripped.startswith("{"):
        data = json.loads(stripped)
        return DetachedSignature(str(data["signature"]), str(data["keyId"]) if data.get("keyId") else None)
    return DetachedSignature(stripped, None)


def load_keys(source: str) -> list[PublicKey]:
    """Published keys from an http(s) URL or a JSON file."""
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, timeout=10)
        response.raise_for_status()
        return keys_from_document(response.json())
    return keys_from_document(json.loads(Path(source).read_text()))


def check(path: Path, signature: DetachedSignature, keys: list[PublicKey]) -> PublicKey | None:
    """The key that signed this file, or None if no published key did."""
    return verify(keys, signature.signature, file_sha256(path), signature.key_id)
