"""The gate in front of a payment: the PIN, or an enrolled device's assertion over exactly this payment.

Without either, the payer gets VerificationRequired carrying a challenge whose bytes commit to the
payment's digest (payee, amount, currency, memo and idempotency key, as the step-up code is bound),
short-lived and single use. An assertion is accepted only for that challenge, signed with user
verification by an active device of this payer whose signature counter moved forward. Every failed
assertion is counted by the same attempt gate as a wrong PIN, so a stolen session token cannot
guess its way through either door.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol, TypeVar, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    options_to_json,
    verify_authentication_response,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse
from webauthn.helpers.structs import UserVerificationRequirement

from app.devices import challenges, credentials
from app.devices.enrolment import active_devices, descriptor
from app.errors import InvalidInput, Requirement, VerificationRequired
from app.pin import attempts
from app.pin.attempts import PinState
from app.runtime import Runtime
from app.unit_of_work import money_transaction
from models import ChallengePurpose, PaymentApproval, PaymentDevice, PaymentPin, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payment:
    """What a device approves: the digest binds the challenge; the amount decides the new-device rule."""

    digest: str
    amount_minor: int
    idempotency_key: str


@dataclass(frozen=True)
class Assertion:
    """A device assertion as read before the payment's transaction: checked inside it, in the gate."""

    credential: dict[str, Any]
    challenge: str
    device: PaymentDevice | None


class Approvable(Protocol):
    """A payment order that the PIN or a device approves (app.payments.transfers.Order)."""

    @property
    def payer(self) -> User: ...

    @property
    def pin(self) -> str | None: ...

    @property
    def device(self) -> Assertion | None: ...

    @property
    def approval(self) -> Payment: ...


OrderT = TypeVar("OrderT", bound=Approvable)


async def prepare(rt: Runtime, order: OrderT, device_assertion: str | None) -> OrderT:
    """Before the payment's transaction: the order with its device assertion read, or the question.

    With neither PIN nor assertion this raises VerificationRequired carrying a challenge bound to the
    payment (issued on its own commit, so it outlives the refusal)."""
    if order.pin is not None and device_assertion is not None:
        raise InvalidInput("approval", "give either the PIN or a device approval, not both")
    if order.pin is not None:
        return order
    if device_assertion is None:
        await _ask(rt, order.payer, order.approval)
    assert device_assertion is not None
    parsed = credentials.parse(device_assertion, "approval.deviceAssertion")
    challenge = credentials.challenge_of(parsed, "approval.deviceAssertion")
    device = await PaymentDevice.get_or_none(credential_id=parsed["id"], user_id=order.payer.id,
                                             removed_at__isnull=True)
    if device is not None and _too_new_for(rt, device, order.approval):
        raise VerificationRequired([Requirement("PAYMENT_PIN")], _new_device_message(rt))
    return cast(OrderT, replace(cast(Any, order), device=Assertion(parsed, challenge, device)))


async def check(rt: Runtime, conn: BaseDBAsyncClient, state: PinState, order: Approvable) -> None:
    """Inside the payment's transaction, holding the PIN row's lock: the PIN, or the device assertion,
    through the one attempt gate. A passing assertion is recorded with the payment."""
    if order.device is None:
        assert order.pin is not None, "prepare() leaves a PIN or an assertion"
        await attempts.check_locked(rt, state, order.payer.id, order.pin)
        return
    held = order.device
    payment = order.approval
    await attempts.check_approval_locked(rt, state, lambda: _verify(rt, order.payer, payment, held))
    assert held.device is not None, "a passing assertion names a device"
    await PaymentApproval.create(user_id=order.payer.id, idempotency_key=payment.idempotency_key,
                                 device=held.device, approved_at=rt.clock.now(), using_db=conn)


async def _ask(rt: Runtime, payer: User, payment: Payment) -> None:
    devices = await active_devices(payer.id)
    usable = [d for d in devices if d.suspended_at is None and not _too_new_for(rt, d, payment)]
    if not usable:
        raise VerificationRequired([Requirement("PAYMENT_PIN")], "Enter your payment PIN.")
    await rt.limiter.hit(f"device-challenge:{payer.id}", 60, 3600)
    challenge = await challenges.issue(rt, payer.id, ChallengePurpose.PAY, payment.digest)
    options = generate_authentication_options(
        rp_id=rt.settings.webauthn_rp_id, challenge=challenge,
        timeout=rt.settings.device_challenge_ttl_seconds * 1000,
        allow_credentials=[descriptor(d) for d in usable],
        user_verification=UserVerificationRequirement.REQUIRED)
    raise VerificationRequired([Requirement("PAYMENT_PIN"), Requirement("DEVICE_APPROVAL")],
                               "Approve this payment on your device, or enter your payment PIN.",
                               device_challenge=options_to_json(options))


async def _verify(rt: Runtime, payer: User, payment: Payment, held: Assertion) -> bool:
    """Inside the attempt gate: every refusal below counts as a wrong PIN."""
    device, parsed, challenge = held.device, held.credential, held.challenge
    if device is None or device.suspended_at is not None:
        return False
    if not await challenges.spend(rt, payer.id, ChallengePurpose.PAY, challenge, payment.digest):
        return False  # another payment's challenge, a replay, or an expired one
    s = rt.settings
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=s.webauthn_rp_id,
            expected_origin=s.webauthn_origins, credential_public_key=base64url_to_bytes(device.public_key),
            credential_current_sign_count=0, require_user_verification=True)
    except InvalidAuthenticationResponse as exc:
        log.info("device assertion refused for user %s: %s", payer.id, exc)
        return False
    counted = verified.new_sign_count > 0 or device.sign_count > 0
    if counted and verified.new_sign_count <= device.sign_count:
        # The counter went back: two copies of this key exist. Stop trusting the device.
        log.warning("payment device %s of user %s suspended: sign count %s after %s", device.id, payer.id,
                    verified.new_sign_count, device.sign_count)
        await PaymentDevice.filter(id=device.id).update(suspended_at=rt.clock.now())
        return False
    await PaymentDevice.filter(id=device.id).update(sign_count=verified.new_sign_count,
                                                    last_used_at=rt.clock.now())
    return True


def _too_new_for(rt: Runtime, device: PaymentDevice, payment: Payment) -> bool:
    young = device.enrolled_at > rt.clock.now() - timedelta(hours=rt.settings.device_new_hours)
    return young and payment.amount_minor > rt.settings.device_new_limit_minor


def _new_device_message(rt: Runtime) -> str:
    return (f"This device was enrolled less than {rt.settings.device_new_hours:g} h ago: "
            "use your payment PIN for this amount.")


@dataclass(frozen=True)
class _Standalone:
    payer: User
    pin: str | None
    device: Assertion | None
    approval: Payment


async def authorise(rt: Runtime, payer: User, payment: Payment, *, pin: str | None,
                    device_assertion: str | None) -> None:
    """For money paths whose own transaction comes after the gate (withdrawals, top-ups, red packets):
    the PIN, or a device assertion over exactly this payment, in a short transaction of its own that
    holds the PIN row's lock, through the same attempt gate."""
    order = await prepare(rt, _Standalone(payer, pin, None, payment), device_assertion)
    if order.device is None:
        assert order.pin is not None, "prepare() leaves a PIN or an assertion"
        await attempts.verify_pin(rt, payer.id, order.pin)
        return

    async def body(conn: BaseDBAsyncClient) -> None:
        row = await PaymentPin.filter(user_id=payer.id).select_for_update().using_db(conn).first()
        if row is None:
            raise VerificationRequired([Requirement("PAYMENT_PIN")], "Set a payment PIN first.")
        await check(rt, conn, PinState.of(row), order)

    await money_transaction(rt, body, events=False)
