"""Push notifications for when the app is closed: devices, settings, the feed from events, the gateway."""
