"""JSON-lines logging. Records carry metadata only: never a body, key, token or sessionRef."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

ACCESS_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "app", "key_prefix")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in (*ACCESS_FIELDS, "error_type", "where"):
            if hasattr(record, field):
                line[field] = getattr(record, field)
        return json.dumps(line, separators=(",", ":"))


def log_config(level: str) -> dict[str, Any]:
    """A logging.config dict for uvicorn and our own loggers: everything as JSON on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "attunio": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            # uvicorn's own access line would repeat ours, without the request id.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def configure(level: str) -> None:
    import logging.config

    logging.config.dictConfig(log_config(level))


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()
