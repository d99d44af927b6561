"""Push devices and notification settings, as a user manages them."""

from __future__ import annotations

from app.errors import InvalidInput, NotFound
from app.runtime import Runtime
from app.text import clean_text
from models import NotificationSettings, PushDevice, PushPlatform, User

MAX_DEVICES = 10


async def register_device(rt: Runtime, user: User, *, platform: PushPlatform, token: str) -> PushDevice:
    """Register (or move to this user) a device token; a token belongs to one user at a time."""
    token = clean_text(token, "token", max_length=512, min_length=8)
    existing = await PushDevice.get_or_none(platform=platform, token=token)
    if existing is None and await PushDevice.filter(user_id=user.id, retired_at__isnull=True).count() >= MAX_DEVICES:
        raise InvalidInput("token", f"at most {MAX_DEVICES} devices; remove one first")
    if existing is not None:
        # The same phone signed in as someone else: the previous account must stop getting its pushes.
        await PushDevice.filter(id=existing.id).update(user_id=user.id, retired_at=None, retired_reason="",
                                                      created_at=rt.clock.now())
        return await PushDevice.get(id=existing.id)
    return await PushDevice.create(user_id=user.id, platform=platform, token=token, created_at=rt.clock.now())


async def remove_device(rt: Runtime, user: User, *, device_id: int) -> None:
    if not await PushDevice.filter(id=device_id, user_id=user.id, retired_at__isnull=True).update(
            retired_at=rt.clock.now(), retired_reason="removed by user"):
        raise NotFound("push device")


async def devices_of(user: User) -> list[PushDevice]:
    return await PushDevice.filter(user_id=user.id, retired_at__isnull=True).order_by("id")


async def notification_settings(user_id: int) -> NotificationSettings:
    return await NotificationSettings.get_or_none(user_id=user_id) or NotificationSettings(user_id=user_id)


async def update_settings(user: User, **changes: bool | None) -> NotificationSettings:
    """Change the settings given (messages, payments, show_preview, show_amounts); the others stay."""
    current = await notification_settings(user.id)
    values = {name: getattr(current, name) for name in ("messages", "payments", "show_preview", "show_amounts")}
    values.update({k: v for k, v in changes.items() if v is not None})
    await NotificationSettings.update_or_create(user_id=user.id, defaults=values)
    return await notification_settings(user.id)
