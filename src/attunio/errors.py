"""The one error type that leaves the appliance as the documented envelope, and its code table.

`{"ok": false, "error": {"code", "message", "issues"?}}` with the documented status. The HTTP layer
raises and renders it; messages never carry secrets or payloads.
"""

from __future__ import annotations

from typing import Any

# Every code the appliance answers with: its status and the message used when nothing more precise
# is known (a framework-level refusal). The envelope, `ApiError` and the OpenAPI document read it.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "The request is not valid."),
    "unauthorized": (401, "Missing or malformed Authorization header."),
    "invalid_token": (401, "API key is invalid or has been revoked."),
    "session_required": (401, "Sign in to the admin console first: no session, or it has expired."),
    "invalid_admin_token": (401, "That admin token is unknown, revoked or not an admin token."),
    "payment_required": (402, "A live key needs an active license with production access."),
    "forbidden": (403, "The key is valid but not permitted to call this resource."),
    "csrf_failed": (403, "The change was refused: the X-CSRF-Token header or the Origin is missing or wrong."),
    "not_found": (404, "No such endpoint. See /v1/openapi.json for the API."),
    "method_not_allowed": (405, "Wrong HTTP method for this endpoint."),
    "conflict": (409, "The change conflicts with the current state."),
    "precondition_failed": (412, "The data this service needs could not be obtained."),
    "not_configured": (412, "This needs something the appliance has not been given yet (a file, a setting)."),
    "payload_too_large": (413, "Request body is larger than this appliance accepts."),
    "unsupported_media_type": (415, "Send the body as application/json."),
    "rate_limited": (429, "Too many requests."),
    "too_many_attempts": (429, "Too many failed sign-ins from this address; wait and try again."),
    "server_error": (500, "Unexpected error processing the request."),
    "service_unavailable": (503, "The service is not available right now; try again later."),
}
STATUS_FOR_CODE = {code: status for code, (status, _) in ERROR_CODES.items()}
# A status the framework refuses with, to the code it is answered as (the first code listed for it).
CODE_FOR_STATUS: dict[int, str] = {}
for _code, (_status, _) in ERROR_CODES.items():
    CODE_FOR_STATUS.setdefault(_status, _code)


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
