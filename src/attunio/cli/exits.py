"""Exit codes of `attunio`, so a script or a monitoring probe can act on the state, not only on
success. The table in docs/operations.md ("Exit codes") is this module in words."""

from __future__ import annotations

OK = 0
"""Done; the state reported is good."""
REFUSED = 1
"""Refused: the input or the request was wrong (unknown id, bad file, failed verification)."""
USAGE = 2
"""Usage: an unknown option or a value that does not parse (click's own code)."""
CONFIG = 3
"""Not set up: the settings file is missing or invalid, or the store cannot be opened."""
WARN = 4
"""Done, but the state needs attention soon (license in grace, a doctor warning)."""
BAD_STATE = 5
"""Done, and the state is bad (no usable license, a broken audit chain, a doctor failure)."""
INTERNAL = 70
"""A bug (EX_SOFTWARE): logged on stderr as a JSON line with its traceback; report it with a support bundle."""

TABLE = {OK: "ok", REFUSED: "refused", USAGE: "usage", CONFIG: "config", WARN: "warn", BAD_STATE: "bad_state",
         INTERNAL: "internal"}
