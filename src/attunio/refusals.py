"""Refusals: the request or the input was wrong, never a bug.

Every refusal the appliance raises on purpose is a `Refused`, so a caller can tell "this was refused,
say why" from "this is a bug" by type alone: the CLI ends a command on a `Refused` with its message
and exit code (cli/common.py) and reports anything else as an internal error. Each kind also
subclasses the built-in it used to be, so an `except ValueError` written before still catches it.
This module imports nothing of the appliance: every layer may raise these.
"""

from __future__ import annotations


class Refused(Exception):
    """Refused with `message` for a person and, where a script may act on it, a stable `reason` code."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class InvalidInput(Refused, ValueError):
    """The value given cannot be used (a malformed origin, a bad file, a failed signature)."""


class NotFound(Refused, LookupError):
    """The thing named does not exist (an unknown app, key, admin or version)."""


class Conflict(Refused, ValueError):
    """The request contradicts the current state (already revoked, already active, already registered)."""


class Forbidden(Refused, PermissionError):
    """The caller may not do this (a wrong role, an unknown or revoked admin token)."""


class NotSetUp(Refused):
    """The appliance is not set up for this yet: settings, store, keys or TLS material missing or unusable."""
