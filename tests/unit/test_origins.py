"""One origin policy for CORS and websockets: loopback dev servers outside production, a list always."""

from __future__ import annotations

import pytest

from app.settings import Settings

PRODUCTION = {"imwallet_env": "production", "secret_key": "k" * 32, "sms_backend": "webhook",
              "sms_webhook_url": "http://127.0.0.1:9/sms", "smtp_host": "127.0.0.1",
              "database_url": "postgres://postgres@127.0.0.1:5432/x", "allow_sandbox_cards_in_production": True}


@pytest.mark.parametrize("origin", ["http://127.0.0.1:5173", "http://localhost:3000", "http://localhost",
                                    "https://localhost:8443", "http://[::1]:5173", "HTTP://LOCALHOST:5173/"])
def test_development_allows_loopback_origins_on_any_port(origin: str) -> None:
    assert Settings(_env_file=None).origins.allows(origin)


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example",
                                    "http://127.0.0.1.evil.example:5173", "http://localhost:5173.evil.example",
                                    "null", ""])
def test_development_refuses_everything_else(origin: str) -> None:
    assert not Settings(_env_file=None).origins.allows(origin)


def test_production_allows_only_its_list_given_as_json_or_commas() -> None:
    for listed in ('["https://app.example.com", "https://admin.example.com"]',
                   "https://app.example.com, https://admin.example.com/"):
        policy = Settings(_env_file=None, **PRODUCTION, allowed_origins=listed).origins  # type: ignore[arg-type]
        assert policy.origins == ("https://app.example.com", "https://admin.example.com")
        assert policy.allows("https://admin.example.com")
        assert not policy.allows("http://127.0.0.1:5173")
        assert policy.origin_regex is None


def test_production_may_opt_in_to_loopback_and_development_out() -> None:
    assert Settings(_env_file=None, **PRODUCTION, allow_localhost_origins=True).origins.allows(  # type: ignore[arg-type]
        "http://127.0.0.1:5173")
    assert not Settings(_env_file=None, allow_localhost_origins=False).origins.allows("http://127.0.0.1:5173")
