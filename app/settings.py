"""Settings from the environment (and a `.env` file in development)."""

from __future__ import annotations

import json
import logging
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.origins import OriginPolicy, origin_policy
from app.security.dev_secret import persisted_secret

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
    # Retired keys, still accepted for values made under them (see app/security/keyed.py).
    previous_secret_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    # Where development keeps its generated SECRET_KEY; default: `.imwallet/` beside the SQLite file.
    data_dir: str | None = None

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
    # The sandbox approves any valid unknown number (money from nothing): production refuses it unless
    # this says, loudly, that the deployment is a demo.
    allow_sandbox_cards_in_production: bool = False
    # Push notifications (people): `log` in development, `webhook` posts JSON to a provider bridge.
    push_backend: Literal["log", "webhook"] = "log"
    push_webhook_url: str | None = None
    push_retry_base_seconds: float = 1.0
    push_retry_cap_seconds: float = 300.0
    push_give_up_seconds: int = 3600

    graphiql: bool | None = None
    introspection: bool | None = None
    # Browser origins allowed to call the API and open its websocket (CORS and the websocket
    # handshake share it); JSON list or comma-separated. Loopback origins on any port are added
    # outside production unless ALLOW_LOCALHOST_ORIGINS=false.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allow_localhost_origins: bool | None = None
    legacy_graphql_ws: bool = False
    max_body_bytes: int = 64 * 1024
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_expanded_fields: int = 2000  # fields once every fragment spread is expanded
    max_directives: int = 50  # per document, expanded (graphql-armor's default)
    request_timeout_seconds: float = 10.0  # a query or mutation (HTTP or websocket) that runs longer is ended
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
    login_failures_per_account: int = 50  # across all addresses; per address pair see accounts.py
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
    red_packet_hours: int = 24
    transfer_accept_hours: int = 24
    sweep_interval_seconds: float = 5.0
    message_recall_seconds: int = 120
    message_edit_seconds: int = 24 * 3600
    typing_ttl_seconds: float = 6.0
    session_recheck_seconds: float = 3.0
    # Per-process cache of session lookups (on only while the bus is connected; see app/identity/sessions.py).
    session_cache_seconds: float = 30.0
    event_retention_days: int = 30
    # Delivered SMS/mail, pushes and merchant notifications are deleted this long after they finished.
    outbox_retention_days: int = 30
    # Device approval (WebAuthn): the relying party is the site or app the phone's key is bound to.
    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "imwallet"
    webauthn_origins: list[str] = Field(default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"])
    device_challenge_ttl_seconds: int = 120
    device_new_hours: float = 1.0
    device_new_limit_minor: int = 20_000
    # Tests only: start the clock this far in the future (see app/clock.py); production refuses it.
    clock_offset_seconds: float = 0.0

    # Log lines: "json" or "text"; unset: JSON in production, text elsewhere (server/logs.py).
    log_format: Literal["json", "text"] | None = None
    log_level: str = "INFO"

    outbox_poll_seconds: float = 0.5
    # The events relay starts a round at most this often: under load one round (3 round trips to
    # PostgreSQL, one to Redis) announces the commits of several requests, for at most this much
    # more delay on a doorbell (docs/performance-findings.md, "Session 6").
    relay_round_interval_seconds: float = 0.01
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
    # Signed merchant notifications (docs/merchant-notifications.md): one POST may take this long in all;
    # failures retry with exponential backoff (base * 2^attempts, jittered, capped), never given up.
    notify_timeout_seconds: float = 10.0
    notify_retry_base_seconds: float = 1.0
    notify_retry_cap_seconds: float = 3600.0
    notify_concurrency: int = 20  # POSTs in flight per process
    # Refuse to POST to loopback, private, link-local and other non-public addresses (SSRF); refuse
    # http:// notify URLs. Unset: both on in production, off elsewhere (test receivers are on 127.0.0.1).
    notify_block_private_addresses: bool | None = None
    notify_require_https: bool | None = None

    @field_validator("allowed_origins", "previous_secret_keys", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [o.strip() for o in text.split(",") if o.strip()]
        return value

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
            if self.card_processor == "sandbox":
                if not self.allow_sandbox_cards_in_production:
                    raise ValueError("production refuses CARD_PROCESSOR=sandbox: it approves any valid card "
                                     "number, money from nothing. Configure a real processor, or set "
                                     "ALLOW_SANDBOX_CARDS_IN_PRODUCTION=true for a demo that holds no money.")
                log.warning("ALLOW_SANDBOX_CARDS_IN_PRODUCTION=true: the SANDBOX card processor approves any "
                            "valid card number. This deployment must not hold real money.")
            # GraphiQL and introspection hand the schema to any prober.
            if self.graphiql or self.introspection:
                raise ValueError("production refuses GRAPHIQL=true and INTROSPECTION=true")
            if self.database_url.startswith("sqlite"):
                log.warning("production on SQLite: run a single process only")
        if self.reconcile_after_seconds <= self.card_call_timeout_seconds:
            raise ValueError("RECONCILE_AFTER_SECONDS must be longer than CARD_CALL_TIMEOUT_SECONDS")
        return self

    @cached_property
    def key_bytes(self) -> bytes:
        """The server secret; outside production, generated once and kept in the data folder."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        return persisted_secret(self.data_path)

    @property
    def previous_key_bytes(self) -> list[bytes]:
        return [k.get_secret_value().encode() for k in self.previous_secret_keys if k.get_secret_value()]

    @property
    def data_path(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir)
        if self.database_url.startswith("sqlite://") and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix("sqlite://").split("?")[0]).parent / ".imwallet"
        return Path(".imwallet")

    @cached_property
    def origins(self) -> OriginPolicy:
        localhost = self.allow_localhost_origins
        return origin_policy(self.allowed_origins,
                             localhost=self.imwallet_env != "production" if localhost is None else localhost)

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.imwallet_env != "production"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.imwallet_env != "production"

    @property
    def notify_private_blocked(self) -> bool:
        blocked = self.notify_block_private_addresses
        return self.imwallet_env == "production" if blocked is None else blocked

    @property
    def notify_https_required(self) -> bool:
        required = self.notify_require_https
        return self.imwallet_env == "production" if required is None else required

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
    """PostgreSQL goes through app.postgres_engine (asyncpg with a deliberate pool reset query), SQLite
    through app.sqlite_engine (transactions that take the write lock first)."""
    from tortoise.backends.base.config_generator import expand_db_url

    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        engine = "app.postgres_engine"
    elif database_url.startswith("sqlite://"):
        engine = "app.sqlite_engine"
    else:
        return database_url
    config = expand_db_url(database_url)
    config["engine"] = engine
    return config


def _cli_config() -> dict[str, Any]:
    return Settings().tortoise_config()


def __getattr__(name: str) -> Any:
    # For the `tortoise -c app.settings.TORTOISE_ORM ...` migration CLI; read on use, not on import,
    # so importing settings neither reads the environment nor logs before logging is configured.
    if name == "TORTOISE_ORM":
        return _cli_config()
    raise AttributeError(name)
