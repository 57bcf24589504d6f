"""The one error type that leaves the appliance as the documented envelope.

`{"ok": false, "error": {"code", "message", "issues"?}}` with the documented status. Services on
the request path raise it; the HTTP layer renders it. Messages never carry secrets or payloads.
"""

from __future__ import annotations

from typing import Any

STATUS_FOR_CODE: dict[str, int] = {
    "invalid_request": 400,
    "unauthorized": 401,
    "invalid_token": 401,
    "payment_required": 402,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "precondition_failed": 412,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "server_error": 500,
    "not_implemented": 501,
    "service_unavailable": 503,
}


class ApiError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        issues: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = STATUS_FOR_CODE[code]
        self.message = message
        self.issues = issues
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.issues is not None:
            error["issues"] = self.issues
        return {"ok": False, "error": error}
