"""Stopping a served appliance with SIGTERM, as every container stop does: the log is complete up
to the server's last line and the process exits 0."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.conftest import Served


def lines(served: Served) -> list[dict[str, Any]]:
    return [json.loads(text) for text in served.logs().splitlines() if text.startswith("{")]


def stop_with_sigterm(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    return served.process.wait(timeout=60)


@pytest.mark.e2e
def test_sigterm_leaves_a_complete_log_and_exit_status_0(served: Served) -> None:
    key = served.new_key()
    request_ids = set()
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        for _ in range(5):
            request_ids.add(http.get("/v1/ping", headers={"Authorization": f"Bearer {key}"}).headers["request-id"])
    assert stop_with_sigterm(served) == 0
    log = lines(served)
    worker = log[-1]["pid"]
    messages = [line["message"] for line in log if line["pid"] == worker]
    assert messages[-3:] == ["Waiting for application shutdown.", "Application shutdown complete.",
                             f"Finished server process [{worker}]"]
    assert request_ids <= {line.get("request_id") for line in log}


@pytest.mark.e2e
def test_sigterm_to_a_multi_worker_appliance_leaves_every_workers_last_line(
    serve_appliance: Callable[..., Served],
) -> None:
    served = serve_appliance(workers=2)
    assert stop_with_sigterm(served) == 0
    log = lines(served)
    assert log[-1]["message"].startswith("Stopping parent process")
    started = {line["pid"] for line in log if line["message"].startswith("Started server process")}
    finished = {line["pid"] for line in log if line["message"].startswith("Finished server process")}
    assert len(started) == 2 and finished == started
