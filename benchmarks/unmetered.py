"""`attunio serve` with metering switched off, for the benchmark's "metering off" row only.

The appliance has no such switch (every answered call is counted); this launcher replaces the
counting step in-process before serving, so the same request can be timed with and without it.
One worker only: the replacement lives in this process.
"""

from __future__ import annotations

from typing import Any

from attunio.cli.main import cli
from attunio.services.request_path import billing


def _no_record(self: Any, principal: Any, endpoint: str, now: Any) -> None:
    return None  # nothing to await: the call is answered without a count


def switch_metering_off() -> None:
    billing.Billing.record = _no_record  # type: ignore[method-assign]


if __name__ == "__main__":
    switch_metering_off()
    cli(["serve"])
