"""JSON log lines for collectors (one object per line) and the scrubbing every line gets.

Each line carries the request id of the request it was written for, so an operator can pull
every line of one request, and the access line (access.py) adds the operation, the citizen's
keyed hash, the duration and the error codes. Messages are scrubbed before they are written:
a bearer token, a full ID number or a phone number that slipped into an exception's text must
not reach a log store that many people can read.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any, Final, Literal

import orjson

from mychangsha.middleware import request_id_var

LogFormat = Literal["json", "text"]

# Fields an access line (or any caller) passes as `extra={"fields": {...}}`.
FIELDS_ATTRIBUTE: Final = "fields"

_SECRETS: Final = (
    # JWTs (access tokens, signed payloads): header.payload.signature, base64url.
    (re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+"), "[token]"),
    # Any bearer credential, whatever its form.
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1[token]"),
    # Resident ID numbers (GB 11643: 17 digits and a check digit or X).
    (re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])"), "[id-number]"),
    # Mainland mobile numbers, optionally with the +86 prefix.
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"), "[phone]"),
)


def scrub(text: str) -> str:
    """The text with tokens, ID numbers and phone numbers replaced by placeholders."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            line["request_id"] = request_id
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode()


class ScrubbingFormatter(logging.Formatter):
    """Readable lines for a developer's terminal, scrubbed like the JSON ones."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if isinstance(fields, dict):
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return scrub(text)


def logging_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the graph and uvicorn (which applies it per worker)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {
            "()": f"{__name__}.ScrubbingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    )
    handler = {"class": "logging.StreamHandler", "formatter": "graph", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"graph": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            # uvicorn's own loggers: same lines, same place; its access log is replaced by ours.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            # httpx logs every request URL at INFO; some upstream contracts (WeChat's
            # code2session) put secrets in the query string.
            "httpx": {"level": "WARNING"},
        },
    }
