"""Settings from the environment (and a `.env` file in development)."""

from __future__ import annotations

import logging
import secrets
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

MODEL_MODULES = ["models"]


class Settings(BaseSettings):
    """Every knob an operator may turn; names match docs/configuration.md."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    imwallet_env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite://imwallet.sqlite3"
    redis_url: str | None = None
    redis_namespace: str = "imwallet"
    secret_key: SecretStr | None = None

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: bool = False
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "imwallet <no-reply@imwallet.local>"

    sms_backend: Literal["log", "webhook"] = "log"
    sms_webhook_url: str | None = None
    card_processor: Literal["sandbox"] = "sandbox"

    graphiql: bool | None = None
    introspection: bool | None = None
    allowed_origins: list[str] = Field(default_factory=list)
    legacy_graphql_ws: bool = False
    max_body_bytes: int = 64 * 1024
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_page_size: int = 100
    ws_connection_init_timeout_seconds: float = 5.0
    ws_max_subscriptions: int = 20
    ws_subscriber_queue_size: int = 256

    # "cheapest" only for tests: argon2 is made cheap, never switched off.
    password_hash_profile: Literal["default", "cheapest"] = "default"
    hash_threads: int = 2
    session_ttl_seconds: int = 30 * 24 * 3600

    code_ttl_seconds: int = 300
    code_max_attempts: int = 5
    code_resend_seconds: int = 60
    code_sends_per_hour_per_destination: int = 5
    code_sends_per_hour_per_address: int = 20
    login_failures_per_account: int = 10
    login_failures_per_address: int = 100
    login_failure_window_seconds: int = 900

    pin_max_attempts: int = 5
    pin_lock_seconds: int = 3 * 3600
    # PIN verifier keys "id:secret,..." (current first; app/pin/verifier.py). Unset: derived from SECRET_KEY.
    pin_keys: SecretStr | None = None
    pin_locks_before_reset: int = 3
    pin_lock_cycle_window_seconds: int = 24 * 3600
    step_up_window_seconds: int = 24 * 3600
    # Step-up also when this much (this payment included) left the wallet within the window above.
    step_up_window_minor: int = 1_000_000
    currency: str = "CNY"
    transfer_limit_minor: int = 5_000_000
    daily_outgoing_limit_minor: int = 20_000_000
    step_up_threshold_minor: int = 500_000
    message_recall_seconds: int = 120
    message_edit_seconds: int = 24 * 3600
    typing_ttl_seconds: float = 6.0
    session_recheck_seconds: float = 3.0
    event_retention_days: int = 30
    # Tests only: start the clock this far in the future (see app/clock.py); production refuses it.
    clock_offset_seconds: float = 0.0

    outbox_poll_seconds: float = 0.5
    # Card network calls and the reconciler that finishes what they left PENDING (docs/money.md).
    # The reconciler looks at an operation only after RECONCILE_AFTER_SECONDS, which must be longer
    # than a call may run (CARD_CALL_TIMEOUT_SECONDS), so it never overtakes a live request.
    card_call_timeout_seconds: float = 10.0
    reconcile_after_seconds: float = 30.0
    reconcile_poll_seconds: float = 2.0
    # Tests only (production refuses it): the process SIGKILLs itself at this named point
    # (app/faults.py), so fault tests can crash it exactly between two steps of a movement.
    fault_kill_point: str = ""
    mail_retry_base_seconds: float = 1.0
    mail_retry_cap_seconds: float = 300.0
    mail_give_up_seconds: float = 24 * 3600

    @model_validator(mode="after")
    def _refuse_weak_production(self) -> Settings:
        if self.imwallet_env == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError("SECRET_KEY of at least 32 characters is required in production")
            if self.clock_offset_seconds:
                raise ValueError("CLOCK_OFFSET_SECONDS is for tests only")
            if self.fault_kill_point:
                raise ValueError("FAULT_KILL_POINT is for tests only")
            if self.password_hash_profile != "default":
                raise ValueError("PASSWORD_HASH_PROFILE=cheapest is for tests only")
            # The log backends write one-time codes into the log: development only.
            if self.sms_backend == "log" or not self.sms_webhook_url:
                raise ValueError("production needs SMS_BACKEND=webhook and SMS_WEBHOOK_URL")
            if not self.smtp_host:
                raise ValueError("production needs SMTP_HOST (mail would otherwise go to the log)")
            if self.database_url.startswith("sqlite"):
                log.warning("production on SQLite: run a single process only")
        if self.reconcile_after_seconds <= self.card_call_timeout_seconds:
            raise ValueError("RECONCILE_AFTER_SECONDS must be longer than CARD_CALL_TIMEOUT_SECONDS")
        return self

    @cached_property
    def key_bytes(self) -> bytes:
        """The server secret; generated per process (and warned about) outside production."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        log.warning("SECRET_KEY is not set: using a random key; hashes of PINs and documents "
                    "will not survive a restart. Set SECRET_KEY outside throwaway development.")
        return secrets.token_bytes(32)

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.imwallet_env != "production"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.imwallet_env != "production"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    def tortoise_config(self) -> dict[str, Any]:
        return tortoise_config(self.database_url)


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {"models": {"models": MODEL_MODULES, "migrations": "models.migrations",
                            "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(database_url: str) -> str | dict[str, Any]:
    """PostgreSQL goes through app.postgres_engine (asyncpg with a deliberate pool reset query)."""
    if not database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return database_url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(database_url)
    config["engine"] = "app.postgres_engine"
    return config


def _cli_config() -> dict[str, Any]:
    return Settings().tortoise_config()


# For the `tortoise -c app.settings.TORTOISE_ORM ...` migration CLI.
TORTOISE_ORM = _cli_config()
