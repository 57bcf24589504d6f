"""Which exceptions mean "this request was refused" rather than "a bug", for every front end.

The CLI ends a command with the message of a refusal; the admin API answers it in the error
envelope. Both ask `is_refusal`, so an action refused at the console is refused the same way over
HTTP and neither front end turns a bug into a polite refusal.
"""

from __future__ import annotations

import os
from types import TracebackType


class Conflict(ValueError):
    """The change is well formed but the current state does not allow it (already revoked, a name
    taken, a version already active)."""


def refusal_types() -> tuple[type[BaseException], ...]:
    """The services' named refusals: each means "this request was refused", never "a bug"."""
    from attunio.crypto.envelope import EnvelopeError
    from attunio.crypto.license_file import LicenseFileError
    from attunio.crypto.trust import TrustError
    from attunio.services.calibration.bundles import BundleRefused
    from attunio.services.licensing.registry import LicenseRefused
    from attunio.services.operations.backup import BackupError
    from attunio.store import StoreError

    return (StoreError, BackupError, BundleRefused, LicenseRefused, LicenseFileError, EnvelopeError, TrustError,
            Conflict)


# The services also refuse with the plain built-in types (an unknown app is a LookupError, a bad
# origin a ValueError, a wrong role a PermissionError). Those same types are what a bug raises, so
# one counts as a refusal only when it is exactly that type and was raised by a service's own
# `raise` statement; anything else is a bug and surfaces as one.
PLAIN_REFUSALS = (ValueError, LookupError, PermissionError)
SERVICE_CODE = os.sep + os.path.join("attunio", "services") + os.sep


def _raised_by_a_service(exc: BaseException) -> bool:
    tb: TracebackType | None = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and SERVICE_CODE in last.tb_frame.f_code.co_filename


def is_refusal(exc: BaseException) -> bool:
    if isinstance(exc, refusal_types()):
        return True
    return type(exc) in PLAIN_REFUSALS and _raised_by_a_service(exc)
