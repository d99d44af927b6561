"""Reading what a client sends: WebAuthn credential JSON, parsed by the library, errors made typed."""

from __future__ import annotations

import json
from typing import Any

from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url, parse_client_data_json

from app.errors import InvalidInput

MAX_CREDENTIAL_BYTES = 16 * 1024


def parse(raw: str, field: str) -> dict[str, Any]:
    """The credential as a JSON object, or InvalidInput naming the field."""
    if len(raw) > MAX_CREDENTIAL_BYTES:
        raise InvalidInput(field, "is too large to be a WebAuthn credential")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(field, "must be the JSON of a WebAuthn credential") from exc
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) \
            or not isinstance(value.get("response"), dict):
        raise InvalidInput(field, "must be the JSON of a WebAuthn credential (id, response)")
    return value


def challenge_of(credential: dict[str, Any], field: str) -> str:
    """The challenge the authenticator signed (base64url), read from its client data."""
    try:
        client_data = parse_client_data_json(base64url_to_bytes(credential["response"]["clientDataJSON"]))
    except Exception as exc:  # the library raises several types for malformed client data
        raise InvalidInput(field, "carries no readable clientDataJSON") from exc
    return bytes_to_base64url(client_data.challenge)
