"""Enrolling and removing payment devices."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.devices import enrolment
from schema.context import Info
from schema.devices.types import (
    DeviceEnrolled,
    DeviceEnrolmentOptions,
    FinishDeviceEnrolmentInput,
    PaymentDevice,
    PaymentDeviceRemoved,
    RemovePaymentDeviceInput,
)
from schema.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidPinError,
    NotAuthenticatedError,
    NotFoundError,
    PinLockedError,
    RateLimitedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.ids import decode_id

BeginDeviceEnrolmentResult = Annotated[
    DeviceEnrolmentOptions | VerificationRequiredError | InvalidInputError | NotAuthenticatedError
    | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("BeginDeviceEnrolmentResult",
                     description="`beginDeviceEnrolment`'s answer: the WebAuthn options, or an error to handle.")]
FinishDeviceEnrolmentResult = Annotated[
    DeviceEnrolled | AlreadyExistsError | InvalidPinError | PinLockedError | VerificationRequiredError
    | InvalidInputError | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("FinishDeviceEnrolmentResult",
                     description="`finishDeviceEnrolment`'s answer: the enrolled device, or an error to handle.")]
RemovePaymentDeviceResult = Annotated[
    PaymentDeviceRemoved | NotFoundError | InvalidPinError | PinLockedError | VerificationRequiredError
    | InvalidInputError | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("RemovePaymentDeviceResult",
                     description="`removePaymentDevice`'s answer, or an error to handle.")]


@strawberry.type
class DeviceMutation:
    @strawberry.mutation(description="Start enrolling this phone's key for payment approval (needs a payment PIN). "
                                     "Returns WebAuthn creation options.")
    @errors_as_data
    async def begin_device_enrolment(self, info: Info) -> BeginDeviceEnrolmentResult:
        options = await enrolment.begin(info.context.rt, info.context.require_viewer())
        return DeviceEnrolmentOptions(options=options)

    @strawberry.mutation(description="Finish enrolling: the authenticator's credential and your PIN.")
    @errors_as_data
    async def finish_device_enrolment(self, info: Info, input: FinishDeviceEnrolmentInput
                                      ) -> FinishDeviceEnrolmentResult:
        device = await enrolment.finish(info.context.rt, info.context.require_viewer(),
                                        credential=input.credential, device_name=input.device_name,
                                        pin=input.pin)
        return DeviceEnrolled(device=PaymentDevice.from_model(device))

    @strawberry.mutation(description="Remove an enrolled payment device (with your PIN).")
    @errors_as_data
    async def remove_payment_device(self, info: Info, input: RemovePaymentDeviceInput) -> RemovePaymentDeviceResult:
        await enrolment.remove(info.context.rt, info.context.require_viewer(),
                               device_id=decode_id(input.device_id, "PaymentDevice", "deviceId"), pin=input.pin)
        return PaymentDeviceRemoved(device_id=input.device_id)
