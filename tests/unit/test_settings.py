"""Production refuses settings that would weaken secrets or put codes in the log."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings

GOOD = {
    "imwallet_env": "production",
    "secret_key": "k" * 32,
    "database_url": "postgres://imwallet@db:5432/imwallet",
    "sms_backend": "webhook",
    "sms_webhook_url": "https://sms-bridge.internal/send",
    "smtp_host": "smtp.internal",
    "allow_sandbox_cards_in_production": True,  # the only processor there is today
}


def make(**changes: object) -> Settings:
    return Settings(_env_file=None, **{**GOOD, **changes})  # type: ignore[arg-type]


def test_complete_production_settings_are_accepted_and_close_the_ide() -> None:
    settings = make()
    assert (settings.graphiql_enabled, settings.introspection_enabled) == (False, False)


@pytest.mark.parametrize(("change", "complaint"), [
    ({"secret_key": None}, "SECRET_KEY"),
    ({"secret_key": "k" * 31}, "SECRET_KEY"),
    ({"password_hash_profile": "cheapest"}, "PASSWORD_HASH_PROFILE"),
    ({"sms_backend": "log"}, "SMS_BACKEND"),
    ({"sms_webhook_url": None}, "SMS_WEBHOOK_URL"),
    ({"smtp_host": None}, "SMTP_HOST"),
    ({"allow_sandbox_cards_in_production": False}, "ALLOW_SANDBOX_CARDS_IN_PRODUCTION"),
    ({"graphiql": True}, "GRAPHIQL"),
    ({"introspection": True}, "INTROSPECTION"),
])
def test_weak_production_settings_are_refused(change: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        make(**change)


def test_the_sandbox_processor_in_production_is_allowed_only_loudly(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValidationError, match="money from nothing"):
        make(allow_sandbox_cards_in_production=False)
    make()
    assert "SANDBOX card processor approves any valid card number" in caplog.text
    # outside production the sandbox needs no flag
    assert Settings(_env_file=None, imwallet_env="test").card_processor == "sandbox"  # type: ignore[call-arg]


def test_development_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IMWALLET_ENV", "SMS_BACKEND", "SMTP_HOST", "GRAPHIQL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.sms_backend, settings.smtp_host, settings.graphiql_enabled) == ("log", None, True)
