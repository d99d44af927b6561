"""Logging for every process: JSON lines in production, text in development, a request id on each.

The request id is the one CorrelationIdMiddleware (server/middleware.py) takes from `X-Request-Id` or
makes, and sends back in that header; masked errors quote it too (schema/extensions.py). uvicorn's
own loggers go through the same handler, so access lines carry it as well.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from structlog.types import EventDict, WrappedLogger

from app.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


def _request_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    event["request_id"] = correlation_id.get()
    return event


def json_formatter() -> logging.Formatter:
    """One JSON object per line: timestamp, level, logger, event (the message), request_id, exception."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
                           structlog.processors.TimeStamper(fmt="iso", utc=True), _request_id],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, structlog.processors.JSONRenderer()])


def log_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for `logging.config` and for uvicorn's `log_config` (applied in every worker)."""
    json_lines = settings.log_format == "json" if settings.log_format else settings.imwallet_env == "production"
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
               "formatter": "json" if json_lines else "text", "filters": ["request_id"]}
    passthrough = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}},
        "formatters": {"json": {"()": "server.logs.json_formatter"}, "text": {"format": TEXT_FORMAT}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": settings.log_level.upper()},
        "loggers": {"uvicorn": passthrough, "uvicorn.error": passthrough, "uvicorn.access": passthrough},
    }
