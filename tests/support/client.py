"""A GraphQL client that talks to the running server the way a frontend does."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import leaks

_ips = itertools.count(1)


def fresh_ip() -> str:
    """A distinct client address per test client (sent as X-Forwarded-For from a trusted proxy)."""
    n = next(_ips)
    return f"10.{random.randint(0, 255)}.{n // 256 % 256}.{n % 256}"


def fresh_phone() -> str:
    return f"+86139{random.randint(0, 99_999_999):08d}"


@dataclass
class GraphQLClient:
    base_url: str
    token: str | None = None
    ip: str = field(default_factory=fresh_ip)
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends: otherwise a request can be
    # sent on a socket the server is closing at that moment (httpx does not retry a POST).
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(keepalive_expiry=2.0)))
    device_name: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.ip}
        if self.device_name:
            headers["X-Device-Name"] = self.device_name
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def post(self, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
        response = await self.http.post(f"{self.base_url}/graphql",
                                        json={"query": query, "variables": variables or {}},
                                        headers={**self.headers(), **extra.pop("headers", {})}, **extra)
        leaks.scan("response", response.text)
        return response

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must not fail at the GraphQL level; returns `data`."""
        response = await self.post(query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    async def mutate(self, field_name: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a mutation and return its (union) payload."""
        return (await self.gql(query, variables))[field_name]  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self.http.aclose()
