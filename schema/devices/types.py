"""GraphQL types of payment devices."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import PaymentDevice as PaymentDeviceModel
from schema.ids import encode_id


@strawberry.type(description="A phone (or other platform authenticator) whose key approves your payments.")
class PaymentDevice:
    id: strawberry.ID = strawberry.field(description="Global id, for `removePaymentDevice`.")
    name: str = strawberry.field(description="The name you gave it at enrolment.")
    enrolled_at: datetime = strawberry.field(description="When it was enrolled.")
    last_used_at: datetime | None = strawberry.field(description="Its last approved payment.")
    suspended: bool = strawberry.field(
        description="True when its signature counter went backwards (a cloned key): it approves nothing "
                    "until removed and enrolled again.")
    transports: list[str] = strawberry.field(description="How the authenticator is reached: internal, hybrid, ...")

    @classmethod
    def from_model(cls, device: PaymentDeviceModel) -> PaymentDevice:
        return cls(id=strawberry.ID(encode_id("PaymentDevice", device.id)), name=device.name,
                   enrolled_at=device.enrolled_at, last_used_at=device.last_used_at,
                   suspended=device.suspended_at is not None, transports=list(device.transports or []))


@strawberry.type(description="Pass `options` to the phone's passkey API (iOS ASAuthorization, Android Credential "
                             "Manager, `navigator.credentials.create` in a browser) and send the credential it "
                             "returns to `finishDeviceEnrolment`.")
class DeviceEnrolmentOptions:
    options: str = strawberry.field(description="WebAuthn PublicKeyCredentialCreationOptions as JSON.")


@strawberry.type(description="The device is enrolled: from now on it may approve payments instead of the PIN.")
class DeviceEnrolled:
    device: PaymentDevice = strawberry.field(description="The new device.")


@strawberry.type(description="The device was removed; its key approves nothing from now on.")
class PaymentDeviceRemoved:
    device_id: strawberry.ID = strawberry.field(description="The removed device's id.")


@strawberry.input(description="The credential a platform authenticator created, with the PIN that confirms it.")
class FinishDeviceEnrolmentInput:
    credential: str = strawberry.field(description="The RegistrationResponseJSON the authenticator returned.")
    device_name: str = strawberry.field(description="A name to recognise it by, e.g. \"Wang's iPhone\".")
    pin: str = strawberry.field(description="Your payment PIN.")


@strawberry.input(description="A device to remove, confirmed with the PIN.")
class RemovePaymentDeviceInput:
    device_id: strawberry.ID = strawberry.field(description="The device's global id.")
    pin: str = strawberry.field(description="Your payment PIN.")


@strawberry.input(description="A payment approved on an enrolled device, instead of the PIN.")
class PaymentApprovalInput:
    device_assertion: str = strawberry.field(
        description="The AuthenticationResponseJSON the device returned for the `deviceChallenge` of this very "
                    "payment (from `VerificationRequiredError`).")
