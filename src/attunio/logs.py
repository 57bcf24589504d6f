"""JSON-lines logging. Records carry metadata only: never a body, key, token or sessionRef."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

import msgspec

ACCESS_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "app", "key_prefix")
LINE_FIELDS = (*ACCESS_FIELDS, "error_type", "where")
ACCESS_LOGGER = "attunio.access"  # its lines, one per request, are the only ones that wait for the loop turn's end
# Lines are ASCII JSON: msgspec encodes them (the access line is written on every request); a
# line with other characters is encoded by `json`, which escapes them, so the output never depends
# on the terminal's or the log collector's encoding.
_encode_ascii = json.JSONEncoder(separators=(",", ":")).encode


def encode_line(line: dict[str, Any]) -> str:
    try:
        encoded = msgspec.json.encode(line)
    except (TypeError, OverflowError):  # a value msgspec does not take (an int past 64 bits)
        return _encode_ascii(line)
    # `json` also escapes DEL (0x7f); msgspec agrees with it on every other ASCII character. The byte
    # is looked for as an int: `bytes in bytes` first tries the needle as an int and pays an exception.
    return encoded.decode("ascii") if encoded.isascii() and 0x7F not in encoded else _encode_ascii(line)


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
        if record.exc_info and record.exc_info[2] is not None:
            line["traceback"] = traceback_frames(record.exc_info[2])
        return encode_line(line)


class JsonLinesHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """JSON lines to a stream, the access lines of one event-loop turn leaving in one write.

    An access line (`AccessLog`, one per request) written on a thread that runs an event loop (a
    worker serving requests) is kept until the end of the current loop turn and written, with the
    other access lines of that turn, by one `write` and `flush`, so a worker under load does not pay a
    system call per request (docs/performance.md). Every other line (the server's own lines, warnings and errors, the
    commands) is written at once, after whatever is pending, so the order of lines is always the
    order they were logged, and the last lines of a worker that stops (`Application shutdown
    complete.`, `Finished server process`) reach the stream before the process exits, even when
    it ends by the signal that stopped it. `flush()` (called at exit by `logging.shutdown`) writes
    anything still pending.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write_line(self.format(record), urgent=record.name != ACCESS_LOGGER)
        except Exception:
            self.handleError(record)

    def write_line(self, line: str, *, urgent: bool = False) -> None:
        loop: asyncio.AbstractEventLoop | None = None
        if not urgent:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop on this thread: a command, or a server not yet started
                loop = None
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._pending.append(line)
            if loop is None:
                self._write_pending()
            elif len(self._pending) == 1:
                try:
                    loop.call_soon(self.flush)
                except RuntimeError:  # the loop is closing: nothing would run the flush
                    self._write_pending()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._pending:
                self._write_pending()
            else:
                super().flush()

    def _write_pending(self) -> None:
        """Caller holds the lock."""
        lines, self._pending = self._pending, []
        self.stream.write(self.terminator.join(lines) + self.terminator)
        super().flush()


class _ThisProcess:
    """The pid for access lines, read at import and again in a forked child: `os.getpid()` is a
    system call, once per line."""

    pid = os.getpid()


os.register_at_fork(after_in_child=lambda: setattr(_ThisProcess, "pid", os.getpid()))


class AccessLog:
    """The access line of every request: the same line `logger.info("request", extra=fields)` gives.

    When the logger's only destination is the appliance's own `JsonLinesHandler` with its
    `JsonFormatter` (the configured default), the line is formatted and handed to the handler
    directly, since building a `LogRecord` and passing it down the logging machinery costs more than
    formatting the line itself. Any other set-up (another handler, a filter) gets a real record.
    """

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        # Sees every answer's fields, whatever the log level (the request counters of `/metrics`).
        self.observer: Callable[[dict[str, Any]], None] | None = None

    def write(self, fields: dict[str, Any]) -> None:
        observer = self.observer
        if observer is not None:
            observer(fields)
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handler = _sole_json_handler(logger)
        if handler is None:
            # makeRecord + handle is logger.info without the caller lookup (a stack walk per line):
            # the JSON line never shows the source location.
            logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, "request", (), None, extra=fields))
            return
        formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]  # checked by _sole_json_handler
        line: dict[str, Any] = {"time": formatter.timestamp(time.time()), "level": "info", "logger": logger.name,
                                "pid": _ThisProcess.pid, "message": "request"}
        for field in LINE_FIELDS:
            if field in fields:
                line[field] = fields[field]
        handler.write_line(encode_line(line))


def _sole_json_handler(logger: logging.Logger) -> JsonLinesHandler | None:
    """The handler a record of `logger` would reach, if it is one `JsonLinesHandler` with a
    `JsonFormatter` and nothing on the way (logger or handler filters, a level above INFO) would
    treat the record otherwise."""
    found: JsonLinesHandler | None = None
    node: logging.Logger | None = logger
    while node is not None:
        if node.filters:
            return None
        for handler in node.handlers:
            if found is not None or type(handler) is not JsonLinesHandler:
                return None
            found = handler
        if not node.propagate:
            break
        node = node.parent
    if (found is None or found.filters or found.level > logging.INFO
            or type(found.formatter) is not JsonFormatter):
        return None
    return found


def traceback_frames(tb: TracebackType | None) -> str:
    """The frames of a traceback (file, line, function, source), without the exception's message:
    a message may quote a value from a request or a key."""
    return "".join(traceback.format_list(traceback.extract_tb(tb)))


def where(exc: BaseException) -> str:
    """Where an exception was raised, innermost first: `file:line` of its last four frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-4:]))


def write_bug(logger: str, exc: BaseException, stream: TextIO) -> None:
    """A bug's one JSON line, with its type, where and its traceback: written straight to `stream`,
    since a command that failed may not have set up logging at all."""
    record = logging.LogRecord(logger, logging.ERROR, __file__, 0, "internal error", (), (type(exc), exc,
                               exc.__traceback__))
    record.error_type = type(exc).__name__
    record.where = where(exc)
    stream.write(JsonFormatter().format(record) + "\n")
    stream.flush()


def log_config(level: str) -> dict[str, Any]:
    """A logging.config dict for uvicorn and our own loggers: everything as JSON on stderr."""
    handler = {"class": "attunio.logs.JsonLinesHandler", "formatter": "json", "stream": "ext://sys.stderr"}
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
        # A library's own warnings (the PostgreSQL pool reconnecting, say) are JSON lines too, so
        # the hospital's log pipeline never meets a plain-text line.
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def configure(level: str) -> None:
    import logging.config

    logging.config.dictConfig(log_config(level))

