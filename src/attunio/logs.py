"""JSON-lines logging. Records carry metadata only: never a body, key, token or sessionRef."""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from typing import Any

import msgspec

ACCESS_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "app", "key_prefix")
LINE_FIELDS = (*ACCESS_FIELDS, "error_type", "where")
# Lines are ASCII JSON: msgspec encodes them (the access line is written on every request); a
# line with other characters is encoded by `json`, which escapes them, so the output never depends
# on the terminal's or the log collector's encoding.
_encode_ascii = json.JSONEncoder(separators=(",", ":")).encode


def encode_line(line: dict[str, Any]) -> str:
    try:
        encoded = msgspec.json.encode(line)
    except (TypeError, OverflowError):  # a value msgspec does not take (an int past 64 bits)
        return _encode_ascii(line)
    # `json` also escapes DEL (0x7f); msgspec agrees with it on every other ASCII character.
    return encoded.decode("ascii") if encoded.isascii() and b"\x7f" not in encoded else _encode_ascii(line)


class JsonFormatter(logging.Formatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._second: tuple[int, str] = (-1, "")  # the last whole second, formatted once

    def timestamp(self, created: float) -> str:
        """`2026-05-15T09:30:00.123+00:00`: what `datetime.fromtimestamp(created, UTC).isoformat(
        timespec="milliseconds")` gives (same rounding), with the seconds formatted once per second."""
        fraction, whole = math.modf(created)
        seconds, micros = int(whole), round(fraction * 1e6)
        if micros >= 1_000_000:
            seconds, micros = seconds + 1, micros - 1_000_000
        cached_second, prefix = self._second
        if seconds != cached_second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
            self._second = (seconds, prefix)
        return f"{prefix}.{micros // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which worker: lines of one request, or one worker's trouble
            "message": record.getMessage(),
        }
        attributes = record.__dict__
        for field in LINE_FIELDS:
            if field in attributes:
                line[field] = attributes[field]
        return encode_line(line)


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
