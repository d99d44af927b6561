"""Secrets never leave: the one place that scrubs input values from error messages and log lines.

graphql-core quotes the offending input in its messages ("... unknown field 'foo', found: {number:
"4716...", cvv: "951", pin: "771181"}"), and loggers repeat them. Everything that leaves (a response
error that is not a domain error, every log record) goes through `redact`: values quoted after a
sensitive key are replaced, the quoted input after "found" is cut, and "Did you mean" hints (which
tell a prober the schema) are dropped.
"""

from __future__ import annotations

import logging
import re

SENSITIVE_KEYS = ("pin", "newPin", "oldPin", "cvv", "number", "code", "stepUpCode", "password", "newPassword",
                  "token", "documentNumber", "authToken", "Authorization", "authorization")
REDACTED = "[redacted]"

_QUOTED_OR_NUMBER = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)"""
_KEYED = re.compile(r"""(?P<key>(?:['"]|\b)(?:""" + "|".join(SENSITIVE_KEYS) + r""")['"]?\s*[:=]\s*)"""
                    + _QUOTED_OR_NUMBER)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
# graphql-core's messages end with the value it was given: "...; found: 100." / "Found: {...}."
_FOUND = re.compile(r"[,;.]?\s*\b[Ff]ound:\s.*\Z", re.DOTALL)
# ...and syntax errors name the token they stopped at: "found String '771181'", "Unexpected Int '42'"
_TOKEN_VALUE = re.compile(r"(\b(?:found|Unexpected) (?:String|BlockString|Int|Float)) '(?:[^'\\]|\\.)*'")
_GOT_INVALID_VALUE = re.compile(r"\bgot invalid value .*?(?=; |\Z)", re.DOTALL)
_CANNOT_REPRESENT = re.compile(r"(cannot represent [^:;]*value):\s.*?(?=; |\Z)", re.DOTALL)
_DID_YOU_MEAN = re.compile(r"\s*Did you mean [^?]*\?")
# A statement download link opens the file for anyone for its few minutes (access log lines carry it).
_STATEMENT_LINK = re.compile(r"(/statements/)[A-Za-z0-9_-]+\.[0-9a-f]{64}")


# What at least one of redact's patterns needs in the text: most log lines (every access line) hold
# none of it, and one search is a quarter of the four substitutions' cost.
_MAY_HOLD_SECRETS = re.compile("Did you mean|(?i:bearer)|/statements/|" + "|".join(SENSITIVE_KEYS))


def redact(text: str) -> str:
    """`text` without the input values it quoted and without suggestions."""
    if _MAY_HOLD_SECRETS.search(text) is None:
        return text
    text = _DID_YOU_MEAN.sub("", text)
    text = _KEYED.sub(lambda m: m.group("key") + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _STATEMENT_LINK.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def redact_error_message(message: str) -> str:
    """For graphql-core's messages: also cut the quoted input value wherever it is echoed."""
    message = _DID_YOU_MEAN.sub("", message)
    message = _GOT_INVALID_VALUE.sub("got an invalid value", message)
    message = _CANNOT_REPRESENT.sub(r"\1", message)
    message = _FOUND.sub(".", message)
    message = _TOKEN_VALUE.sub(r"\1", message)
    if message.endswith(".."):
        message = message.rstrip(".") + "."
    return redact(message)


_installed = False


def install_log_redaction() -> None:
    """Every log record of the process, whoever logs it, is redacted when it is made."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging's own error handling
            return record
        cleaned = redact_error_message(message) if "ound" in message else redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
