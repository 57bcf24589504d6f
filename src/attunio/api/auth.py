"""Who is calling and may they call this: bearer keys, publishable-key origins and endpoints."""

from __future__ import annotations

from typing import Any

from litestar import Request

from attunio.api.services import Services
from attunio.errors import ApiError
from attunio.services.access import Principal, normalise_origin

ORIGIN_FORBIDDEN = (
    "This origin is not allowed for this publishable key. Add it to the key's allowed origins in the "
    "developer dashboard."
)
PUBLISHABLE_ENDPOINT = "POST /v1/dmse/analyze"


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise ApiError("unauthorized", "Missing Authorization header. Send `Authorization: Bearer <api key>`.")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise ApiError("unauthorized", "Malformed Authorization header. Use `Authorization: Bearer <api key>`.")
    return token


def authorize(request: Request[Any, Any, Any], services: Services, *, browser_ok: bool) -> Principal:
    principal = services.access.authenticate(bearer_token(request))
    if principal is None:
        raise ApiError("invalid_token", "API key is invalid or has been revoked.")
    request.scope["attunio.principal"] = principal  # type: ignore[typeddict-unknown-key]
    services.mark_used(principal.key_id)
    if principal.key_type == "publishable":
        if not browser_ok:
            raise ApiError(
                "forbidden",
                f"Publishable keys can only call {PUBLISHABLE_ENDPOINT}. Call this endpoint from your "
                "server with a secret key (att_sk_…).",
            )
        origin = request.headers.get("origin", "")
        try:
            allowed = normalise_origin(origin) in principal.allowed_origins
        except ValueError:
            allowed = False
        if not allowed:
            raise ApiError("forbidden", ORIGIN_FORBIDDEN)
        request.scope["attunio.cors_origin"] = origin  # type: ignore[typeddict-unknown-key]
    return principal
