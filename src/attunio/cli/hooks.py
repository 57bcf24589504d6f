"""The modules whose import registers steps of `init` and `serve` (INIT_HOOKS, SERVE_HOOKS).

Commands are loaded lazily (main.py), so `init` and `serve` load these first; the order is the
order the steps run in. A new module that registers a hook is added here.
"""

from __future__ import annotations

import importlib

HOOK_MODULES = (
    "attunio.cli.backup",          # serve: the data directory's serve lock
    "attunio.cli.billing_common",  # serve: an unusable extra vendor key stops start-up
    "attunio.cli.instance",        # init: the instance signing key
    "attunio.cli.tls",             # init: the self-signed certificate; serve: the TLS context
)


def load_hooks() -> None:
    for name in HOOK_MODULES:
        importlib.import_module(name)
