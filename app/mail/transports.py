"""Where a message physically goes: SMTP, an SMS webhook, or (in development) the log."""

from __future__ import annotations

import logging
import ssl
from email.message import EmailMessage

import aiosmtplib
import httpx

from app.settings import Settings

log = logging.getLogger("imwallet.delivery")


class PermanentFailure(Exception):
    """The far side refused this message for good (SMTP 5xx, webhook 4xx): do not retry."""


class TemporaryFailure(Exception):
    """The far side is down or busy (SMTP 4xx, refused connection, webhook 5xx): retry later."""


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    if not settings.smtp_host:
        log.warning("MAIL NOT SENT (development: no SMTP_HOST) to=%s subject=%r\n%s", to, subject, body)
        return
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            msg, hostname=settings.smtp_host, port=settings.smtp_port,
            use_tls=settings.smtp_tls, start_tls=bool(settings.smtp_starttls),
            username=settings.smtp_username, password=password,
            tls_context=ssl.create_default_context() if (settings.smtp_tls or settings.smtp_starttls) else None,
            timeout=settings.smtp_timeout_seconds)
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise PermanentFailure(f"SMTP {exc.code}") from exc
        raise TemporaryFailure(f"SMTP {exc.code}") from exc
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [err.code for err in exc.recipients]
        if codes and all(500 <= c < 600 for c in codes):
            raise PermanentFailure(f"SMTP recipients refused {codes}") from exc
        raise TemporaryFailure(f"SMTP recipients refused {codes}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(type(exc).__name__) from exc


async def send_sms(settings: Settings, client: httpx.AsyncClient, to: str, text: str) -> None:
    if settings.sms_backend == "log":
        log.warning("SMS NOT SENT (development: SMS_BACKEND=log) to=%s text=%r", to, text)
        return
    if not settings.sms_webhook_url:
        raise TemporaryFailure("SMS_WEBHOOK_URL is not set")
    try:
        response = await client.post(settings.sms_webhook_url, json={"to": to, "text": text}, timeout=10)
    except httpx.HTTPError as exc:
        raise TemporaryFailure(type(exc).__name__) from exc
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        raise PermanentFailure(f"webhook {response.status_code}")
    if response.status_code >= 300:
        raise TemporaryFailure(f"webhook {response.status_code}")
