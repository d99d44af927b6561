"""Enrolling a phone's key (once, with the PIN), listing and removing enrolled devices."""

from __future__ import annotations

import logging
from hashlib import sha256

from tortoise.exceptions import IntegrityError
from webauthn import base64url_to_bytes, generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.devices import challenges, credentials
from app.errors import AlreadyExists, InvalidInput, NotFound, Requirement, VerificationRequired
from app.pin.attempts import verify_pin
from app.runtime import Runtime
from app.text import clean_text
from models import ChallengePurpose, PaymentApproval, PaymentDevice, PaymentPin, User

log = logging.getLogger(__name__)
MAX_DEVICES = 10


async def begin(rt: Runtime, user: User) -> str:
    """WebAuthn creation options (JSON) for `navigator.credentials.create()` or the phone's passkey API."""
    if not await PaymentPin.filter(user_id=user.id).exists():
        raise VerificationRequired([Requirement("PAYMENT_PIN")], "Set a payment PIN before enrolling a device.")
    active = await active_devices(user.id)
    if len(active) >= MAX_DEVICES:
        raise InvalidInput("device", f"at most {MAX_DEVICES} payment devices; remove one first")
    await rt.limiter.hit(f"device-enrol:{user.id}", 20, 3600)
    challenge = await challenges.issue(rt, user.id, ChallengePurpose.ENROL)
    s = rt.settings
    options = generate_registration_options(
        rp_id=s.webauthn_rp_id, rp_name=s.webauthn_rp_name, user_name=user.display_name,
        user_id=_user_handle(rt, user.id), challenge=challenge,
        timeout=s.device_challenge_ttl_seconds * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=AuthenticatorAttachment.PLATFORM,
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[descriptor(d) for d in active])
    return options_to_json(options)


async def finish(rt: Runtime, user: User, *, credential: str, device_name: str, pin: str) -> PaymentDevice:
    """Check the PIN and the authenticator's attestation, then keep the device's public key."""
    name = clean_text(device_name, "deviceName", max_length=64, min_length=1)
    parsed = credentials.parse(credential, "credential")
    challenge = credentials.challenge_of(parsed, "credential")
    await verify_pin(rt, user.id, pin)
    if not await challenges.spend(rt, user.id, ChallengePurpose.ENROL, challenge):
        raise InvalidInput("credential", "answers no open enrolment of yours; call beginDeviceEnrolment again")
    s = rt.settings
    try:
        verified = verify_registration_response(
            credential=parsed, expected_challenge=_bytes(challenge), expected_rp_id=s.webauthn_rp_id,
            expected_origin=s.webauthn_origins, require_user_verification=True)
    except InvalidRegistrationResponse as exc:
        log.info("device enrolment refused for user %s: %s", user.id, exc)
        raise InvalidInput("credential", "the authenticator's response could not be verified") from exc
    transports = [t for t in parsed["response"].get("transports") or [] if t in _TRANSPORTS]
    try:
        return await PaymentDevice.create(
            user=user, name=name, credential_id=bytes_to_base64url(verified.credential_id),
            public_key=bytes_to_base64url(verified.credential_public_key), sign_count=verified.sign_count,
            transports=transports, enrolled_at=rt.clock.now())
    except IntegrityError as exc:
        raise AlreadyExists("This device key is already enrolled.") from exc


async def active_devices(user_id: int) -> list[PaymentDevice]:
    return await PaymentDevice.filter(user_id=user_id, removed_at__isnull=True).order_by("id")


async def remove(rt: Runtime, user: User, *, device_id: int, pin: str) -> None:
    """Unenrol one device (with the PIN): its key approves nothing from now on."""
    device = await PaymentDevice.get_or_none(id=device_id, user_id=user.id, removed_at__isnull=True)
    if device is None:
        raise NotFound("payment device")
    await verify_pin(rt, user.id, pin)
    await PaymentDevice.filter(id=device.id, removed_at__isnull=True).update(removed_at=rt.clock.now())


async def remove_all(rt: Runtime, user_id: int) -> int:
    """A PIN or password reset may follow a stolen phone: every device goes with it."""
    return await PaymentDevice.filter(user_id=user_id, removed_at__isnull=True).update(removed_at=rt.clock.now())


def descriptor(device: PaymentDevice) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=_bytes(device.credential_id),
        transports=[AuthenticatorTransport(t) for t in device.transports or [] if t in _TRANSPORTS] or None)


def _user_handle(rt: Runtime, user_id: int) -> bytes:
    # Opaque and stable: the authenticator learns nothing about the account from it.
    return sha256(rt.keyring.fingerprint("webauthn-user", str(user_id)).encode()).digest()[:16]


def _bytes(b64: str) -> bytes:
    return base64url_to_bytes(b64)


_TRANSPORTS = {t.value for t in AuthenticatorTransport}


async def approvals_for(keys: list[tuple[int, str]]) -> dict[tuple[int, str], PaymentDevice]:
    """The device that approved each (payer, idempotency key), for the payments that had one."""
    if not keys:
        return {}
    users = {u for u, _ in keys}
    rows = await PaymentApproval.filter(user_id__in=users, idempotency_key__in=[k for _, k in keys]) \
        .select_related("device").order_by("id")
    wanted = set(keys)
    return {(r.user_id, r.idempotency_key): r.device for r in rows if (r.user_id, r.idempotency_key) in wanted}
