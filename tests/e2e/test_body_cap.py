"""The default body cap over a socket: it admits the largest document the reference allows
(100 labs of 200 biomarkers, every string at its longest) and still refuses a larger body with
413 in the envelope, without reading it all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Served
from tests.logscan import FIGURES

from attunio.config import ServerSettings

LONGEST_INSTANT = "2026-06-01T00:00:00.000000+00:00"  # the longest RFC 3339 text the decoder reads


def longest(field_max: int, letter: str) -> str:
    return letter * field_max


def largest_biomarker_document() -> dict[str, Any]:
    """Every limit of the reference (and of the decoder, where the reference names none) at its
    maximum: the longest value is a 64-character string, the longest flag `critical`."""
    marker = {"name": longest(120, "N"), "value": longest(64, "V"), "unit": longest(32, "U"), "flag": "critical",
              "referenceRange": longest(64, "R"), "note": longest(240, "T")}
    lab = {"id": longest(128, "I"), "labName": longest(160, "L"), "observedAt": LONGEST_INSTANT,
           "results": {"biomarkers": [marker] * 200}}
    return {"labs": [lab] * 100, "sessionRef": longest(128, "S")}


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.e2e
def test_the_largest_valid_document_is_admitted_and_a_larger_body_refused(served: Served) -> None:
    key = served.new_key()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = json.dumps(largest_biomarker_document(), separators=(",", ":")).encode()
    limit = ServerSettings().max_body_bytes
    assert 12_000_000 < len(body) <= limit
    with httpx.Client(base_url=served.base_url, timeout=120) as http:
        before = peak_rss_kib(served.process.pid)
        answer = http.post("/v1/biomarker/analyze", content=body, headers=headers)
        assert answer.status_code == 200, answer.text[:500]
        data = answer.json()["data"]
        assert data["signalsPresent"] == 100 * 200  # every critical reading is a signal
        FIGURES["largest_document_bytes"] = len(body)
        FIGURES["largest_document_answer_bytes"] = len(answer.content)
        FIGURES["largest_document_worker_peak_rss_growth_mib"] = round(
            (peak_rss_kib(served.process.pid) - before) / 1024, 1)

        # One byte over the cap: refused on the announced length, in the envelope.
        over = body[:-1] + b" " * (limit - len(body) + 1) + body[-1:]
        assert len(over) == limit + 1
        refused = http.post("/v1/biomarker/analyze", content=over, headers=headers)
        assert refused.status_code == 413
        assert refused.json()["error"] == {
            "code": "payload_too_large", "message": f"Request body exceeds the {limit}-byte limit of this appliance."}

        # Without a Content-Length (chunked), it is refused while reading.
        def chunks() -> Any:
            for start in range(0, len(over), 1 << 20):
                yield over[start:start + (1 << 20)]

        streamed = http.post("/v1/biomarker/analyze", content=chunks(), headers=headers)
        assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"
