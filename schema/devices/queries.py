"""The signed-in user's payment devices."""

from __future__ import annotations

import strawberry

from app.devices import enrolment
from schema.context import Info
from schema.devices.types import PaymentDevice


@strawberry.type
class DeviceQuery:
    @strawberry.field(description="Your enrolled payment devices (empty when signed out).")
    async def payment_devices(self, info: Info) -> list[PaymentDevice]:
        viewer = info.context.viewer
        if viewer is None:
            return []
        return [PaymentDevice.from_model(d) for d in await enrolment.active_devices(viewer.id)]
