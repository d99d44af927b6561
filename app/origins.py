"""Which browser origins may call the API (CORS) and open its websocket: one policy for both."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Any port on the loopback names: what a frontend dev server (Vite :5173, CRA :3000, ...) runs on.
LOCALHOST_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
_LOCALHOST = re.compile(LOCALHOST_ORIGIN_REGEX)


@dataclass(frozen=True)
class OriginPolicy:
    """Listed origins always; loopback origins on any port only when `localhost` is on."""

    origins: tuple[str, ...]
    localhost: bool

    @property
    def origin_regex(self) -> str | None:
        return LOCALHOST_ORIGIN_REGEX if self.localhost else None

    def allows(self, origin: str) -> bool:
        origin = origin.strip().rstrip("/").lower()
        if "*" in self.origins or origin in self.origins:
            return True
        return self.localhost and _LOCALHOST.fullmatch(origin) is not None


def origin_policy(allowed_origins: list[str], *, localhost: bool) -> OriginPolicy:
    return OriginPolicy(tuple(o.strip().rstrip("/").lower() for o in allowed_origins), localhost)
