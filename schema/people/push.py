"""Push devices and notification settings: queries and mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from app.push import devices
from models import NotificationSettings as SettingsModel
from models import PushDevice as DeviceModel
from models import PushPlatform as DomainPlatform
from schema.context import Info
from schema.errors import (
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from schema.ids import decode_id, encode_id
from schema.people.outcome import attempt


@strawberry.enum(description="Which push service delivers to the device.")
class PushPlatform(Enum):
    APNS = strawberry.enum_value("apns", description="Apple Push Notification service.")
    FCM = strawberry.enum_value("fcm", description="Firebase Cloud Messaging.")
    WEB = strawberry.enum_value("web", description="Web Push (a browser's push subscription).")


@strawberry.type(description="A device that gets pushes while the app is closed.")
class PushDevice:
    id: strawberry.ID = strawberry.field(description="Global id, for `removePushDevice`.")
    platform: PushPlatform = strawberry.field(description="Its push service.")
    registered_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, m: DeviceModel) -> PushDevice:
        return cls(id=strawberry.ID(encode_id("PushDevice", m.id)), platform=PushPlatform(m.platform.value),
                   registered_at=m.created_at)


@strawberry.type(description="What pushes you get and what they may show on a locked screen.")
class NotificationSettings:
    messages: bool = strawberry.field(description="Pushes for messages and contact requests.")
    payments: bool = strawberry.field(description="Pushes for receipts.")
    show_preview: bool = strawberry.field(description="Show the sender's name and the message text.")
    show_amounts: bool = strawberry.field(description="Show amounts of money.")

    @classmethod
    def from_model(cls, m: SettingsModel) -> NotificationSettings:
        return cls(messages=m.messages, payments=m.payments, show_preview=m.show_preview,
                   show_amounts=m.show_amounts)


@strawberry.input(description="Register this device for pushes.")
class RegisterPushDeviceInput:
    platform: PushPlatform = strawberry.field(description="Its push service.")
    token: str = strawberry.field(description="The token (or Web Push subscription JSON) the service gave it.")


@strawberry.input(description="Stop pushes to one device.")
class RemovePushDeviceInput:
    device_id: strawberry.ID = strawberry.field(description="The device's global id.")


@strawberry.input(description="Change notification settings; the ones left out stay.")
class UpdateNotificationSettingsInput:
    messages: bool | None = strawberry.field(default=None, description="Pushes for messages.")
    payments: bool | None = strawberry.field(default=None, description="Pushes for receipts.")
    show_preview: bool | None = strawberry.field(default=None, description="Show names and message text.")
    show_amounts: bool | None = strawberry.field(default=None, description="Show amounts of money.")


@strawberry.type(description="The device is registered.")
class PushDeviceSuccess:
    device: PushDevice = strawberry.field(description="The device.")


@strawberry.type(description="The device gets no more pushes.")
class PushDeviceRemoved:
    device_id: strawberry.ID = strawberry.field(description="Its global id.")


@strawberry.type(description="The settings now.")
class NotificationSettingsSuccess:
    settings: NotificationSettings = strawberry.field(description="The settings.")


_Base = InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError
RegisterResult = Annotated[PushDeviceSuccess | _Base, strawberry.union("RegisterPushDeviceResult",
                     description="`registerPushDevice`'s answer: the device, or an error to handle.")]
RemoveResult = Annotated[PushDeviceRemoved | _Base, strawberry.union("RemovePushDeviceResult",
                     description="`removePushDevice`'s answer, or an error to handle.")]
SettingsResult = Annotated[NotificationSettingsSuccess | _Base, strawberry.union("UpdateNotificationSettingsResult",
                     description="`updateNotificationSettings`'s answer: the settings now, or an error.")]


@strawberry.type
class PushQuery:
    @strawberry.field(description="Your devices that get pushes.")
    async def push_devices(self, info: Info) -> list[PushDevice]:
        return [PushDevice.from_model(d) for d in await devices.devices_of(info.context.require_viewer())]

    @strawberry.field(description="Your notification settings.")
    async def notification_settings(self, info: Info) -> NotificationSettings:
        return NotificationSettings.from_model(
            await devices.notification_settings(info.context.require_viewer().id))


@strawberry.type
class PushMutation:
    @strawberry.mutation(description="Register a device for pushes while the app is closed.")
    async def register_push_device(self, info: Info, input: RegisterPushDeviceInput) -> RegisterResult:
        async def run() -> PushDeviceSuccess:
            d = await devices.register_device(info.context.rt, info.context.require_viewer(),
                                              platform=DomainPlatform[input.platform.name], token=input.token)
            return PushDeviceSuccess(device=PushDevice.from_model(d))
        return await attempt(run)

    @strawberry.mutation(description="Stop pushes to a device (for example on sign-out).")
    async def remove_push_device(self, info: Info, input: RemovePushDeviceInput) -> RemoveResult:
        async def run() -> PushDeviceRemoved:
            await devices.remove_device(info.context.rt, info.context.require_viewer(),
                                        device_id=decode_id(input.device_id, "PushDevice", "deviceId"))
            return PushDeviceRemoved(device_id=input.device_id)
        return await attempt(run)

    @strawberry.mutation(description="Choose which pushes you get and what they may show.")
    async def update_notification_settings(self, info: Info,
                                           input: UpdateNotificationSettingsInput) -> SettingsResult:
        async def run() -> NotificationSettingsSuccess:
            s = await devices.update_settings(info.context.require_viewer(), messages=input.messages,
                                              payments=input.payments, show_preview=input.show_preview,
                                              show_amounts=input.show_amounts)
            return NotificationSettingsSuccess(settings=NotificationSettings.from_model(s))
        return await attempt(run)
