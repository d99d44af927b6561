"""Logging for every process: JSON lines in production, text in development, a request id on each.

The request id is the one CorrelationIdMiddleware (server/middleware.py) takes from `X-Request-Id` or
makes, and sends back in that header; masked errors quote it too (schema/extensions.py). uvicorn's
own loggers go through the same handler, so access lines carry it as well.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from structlog.types import EventDict, WrappedLogger

from app.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
# Built once: json.dumps(..., default=repr) builds a new encoder for every line.
_JSON_LINE = json.JSONEncoder(default=repr)


def _request_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    event["request_id"] = correlation_id.get()
    return event


class _JSONLines(structlog.stdlib.ProcessorFormatter):
    """structlog's ProcessorFormatter, with a direct path for the standard library's records (every
    record this app writes, uvicorn's access line for each request among them): the same keys in the
    same order as the processor chain gives, a fifth of its cost (the chain copies the record, runs
    five processors and a JSON renderer with a fallback for each value). The exception text is the one
    the redacting record factory (app/redaction.py) already made, when it made one."""

    def format(self, record: logging.LogRecord) -> str:
        if hasattr(record, "_logger"):  # a structlog logger's record: its own event dict
            return super().format(record)
        event: dict[str, Any] = {
            "event": record.getMessage(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "request_id": correlation_id.get(),
        }
        if record.stack_info:
            event["stack_info"] = record.stack_info
        if record.exc_info:
            event["exception"] = record.exc_text or self.formatException(record.exc_info)
        return _JSON_LINE.encode(event)


def lean_records() -> None:
    """Records without what no format here prints: the caller's file/line/function (a walk up the
    stack for every record), the thread and process names (logging's documented "Optimization"
    switches). Called by the formatters' factories, so it holds in every worker that logs."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def text_formatter() -> logging.Formatter:
    """Development's text lines: TEXT_FORMAT (time, level, logger, request id, message)."""
    lean_records()
    return logging.Formatter(TEXT_FORMAT)


def json_formatter() -> logging.Formatter:
    """One JSON object per line: event (the message), level, logger, timestamp, request_id, exception."""
    lean_records()
    return _JSONLines(
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
        "formatters": {"json": {"()": "server.logs.json_formatter"}, "text": {"()": "server.logs.text_formatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": settings.log_level.upper()},
        "loggers": {"uvicorn": passthrough, "uvicorn.error": passthrough, "uvicorn.access": passthrough},
    }
