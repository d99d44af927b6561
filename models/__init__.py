"""Tortoise models, one module per domain. Tortoise discovers them through this package."""

from models.events import Event, OutboundMessage
from models.users import Identity, Session, User, UserRole, VerificationCode

__all__ = ["Event", "Identity", "OutboundMessage", "Session", "User", "UserRole", "VerificationCode"]
