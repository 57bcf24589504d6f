"""Minimal stand-in for the appliance's capture routes, for developing the
browser test without the full app: GET /sdk/<file>, GET /demo, and
POST /v1/dmse/analyze with publishable-key, Origin allow-list, CORS preflight
and strict request validation. The answer is a canned Digital MSE shape.

Run: python standin_server.py PORT KEY ALLOWED_ORIGIN [ALLOWED_ORIGIN ...]
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CAPTURE = Path(__file__).resolve().parents[2] / "src" / "capture"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
RANGES = {
    "responseLatencySeconds": (0, 120),
    "speechRateWpm": (0, 600),
    "psychomotorFidgetEpisodes": (0, 1000),
    "sustainedAttentionPct": (0, 100),
    "sessionDurationSeconds": (0, 86400),
}


class Handler(BaseHTTPRequestHandler):
    key: str = ""
    origins: frozenset[str] = frozenset()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: object, cors: bool = False) -> None:
        origin = self.headers.get("Origin", "")
        extra = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if cors else {}
        self._send(status, json.dumps(obj).encode(), "application/json", extra)

    def _error(
        self, status: int, code: str, message: str, cors: bool, issues: list[dict[str, str]] | None = None
    ) -> None:
        err: dict[str, object] = {"code": code, "message": message}
        if issues:
            err["issues"] = issues
        self._json(status, {"ok": False, "error": err}, cors)

    def do_GET(self) -> None:
        path = self.path.split("?")[0].split("#")[0]
        if path == "/demo":
            f = CAPTURE / "demo.html"
        elif path.startswith("/sdk/") and "/" not in path[5:] and not path[5:].startswith("."):
            f = CAPTURE / path[5:]
        else:
            self._send(404, b"not found", "text/plain")
            return
        if not f.is_file() or f.suffix not in TYPES:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, f.read_bytes(), TYPES[f.suffix])

    def do_OPTIONS(self) -> None:
        origin = self.headers.get("Origin", "")
        if self.path != "/v1/dmse/analyze" or origin not in self.origins:
            self._send(403, b"", "text/plain")
            return
        self._send(
            204,
            b"",
            "text/plain",
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )

    def do_POST(self) -> None:
        if self.path != "/v1/dmse/analyze":
            self._error(404, "not_found", "No such endpoint.", False)
            return
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {self.key}":
            self._error(401, "invalid_token", "API key is invalid or has been revoked.", True)
            return
        if self.headers.get("Origin", "") not in self.origins:
            self._error(403, "forbidden", "This origin is not allowed for this publishable key.", False)
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        except ValueError:
            self._error(400, "invalid_request", "Body is not valid JSON.", True)
            return
        known = {*RANGES, "sessionRef"}
        issues = [{"path": k, "message": "Unknown field"} for k in body if k not in known]
        for k, (lo, hi) in RANGES.items():
            v = body.get(k)
            if v is not None and not (isinstance(v, (int, float)) and lo <= v <= hi):
                issues.append({"path": k, "message": f"Number must be between {lo} and {hi}"})
        if issues:
            self._error(400, "invalid_request", "Telemetry validation failed.", True, issues)
            return
        self._json(200, {"ok": True, "data": canned(body)}, cors=True)


def canned(body: dict[str, float]) -> dict[str, object]:
    signals = []
    lat = body.get("responseLatencySeconds")
    signals.append(
        {
            "signalKey": "response_latency",
            "label": "Response latency",
            "present": lat is not None,
            "metricValue": lat,
            "metricUnit": "s",
            "interpretation": "clinical_attention" if lat and lat >= 2 else "within_normal_limits",
            "detail": f"Average response latency {lat}s." if lat is not None else None,
            "mseLine": f"Speech: response latency (avg ~{lat}s)." if lat is not None else None,
        }
    )
    wpm = body.get("speechRateWpm")
    signals.append(
        {
            "signalKey": "speech_rate",
            "label": "Speech rate",
            "present": wpm is not None,
            "metricValue": wpm,
            "metricUnit": "wpm",
            "interpretation": "within_normal_limits" if wpm and 100 <= wpm <= 180 else "clinical_attention",
            "detail": f"Speech rate {wpm} words per minute." if wpm is not None else None,
            "mseLine": f"Speech: rate ~{wpm} wpm." if wpm is not None else None,
        }
    )
    for key, label in (("psychomotor", "Psychomotor"), ("sustained_attention", "Sustained attention")):
        signals.append({"signalKey": key, "label": label, "present": False, "metricValue": None})
    present = [s for s in signals if s["present"]]
    return {
        "object": "dmse.analysis",
        "sessionRef": body.get("sessionRef"),
        "signalsPresent": len(present),
        "overallConfidence": "moderate",
        "signals": signals,
        "mseNarrative": [s["mseLine"] for s in present],
        "disclaimer": "Stand-in response for browser-test development.",
    }


def main() -> None:
    port, key, *origins = sys.argv[1:]
    Handler.key = key
    Handler.origins = frozenset(origins)
    ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
