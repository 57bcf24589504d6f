"""Who is calling and may they call this: bearer keys, publishable-key origins and endpoints."""

from __future__ import annotations

from datetime import datetime

from attunio.api.context import RequestContext
from attunio.api.runtime import Runtime
from attunio.api.wire import RequestHeaders
from attunio.engines import ENGINES
from attunio.errors import ApiError
from attunio.refusals import InvalidInput
from attunio.services.request_path.access import Principal, normalise_origin

# The one endpoint a publishable key (browser code) may call: the capture SDK's Digital MSE call.
BROWSER_PATH = ENGINES["dmse_signals"].path
BROWSER_ENDPOINT = f"POST {BROWSER_PATH}"
ORIGIN_FORBIDDEN = (
    "This origin is not allowed for this publishable key. Add it to the key's allowed origins in the "
    "appliance's admin console (/admin, Apps and keys) or with `attunio keys origins KEY_ID --set ORIGIN`."
)
# RFC 6750 §3: a request without credentials gets the scheme alone; a refused one names why. The
# reference answers a malformed header with 401 (not RFC 6750's 400), and that contract is kept.
CHALLENGE = 'Bearer realm="attunio"'
MALFORMED_CHALLENGE = 'Bearer realm="attunio", error="invalid_request"'
INVALID_TOKEN_CHALLENGE = 'Bearer realm="attunio", error="invalid_token"'  # noqa: S105  # a challenge, not a secret
# What a browser script may read of an answer besides the CORS-safelisted headers.
EXPOSED_HEADERS = ("Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, "
                   "Attunio-License-Warning")


def bearer_token(headers: RequestHeaders) -> str:
    header = headers.get("authorization")
    # Two keys in one request, as two headers or joined by a comma (as an intermediary merges
    # repeated headers): choosing either could bill or authorise the wrong app.
    if "authorization" in headers.repeated or (header is not None and "," in header):
        raise ApiError("invalid_request", "Send exactly one Authorization header; this request has more than one.")
    if header is None:
        raise ApiError("unauthorized", "Missing Authorization header. Send `Authorization: Bearer <api key>`.",
                       headers={"WWW-Authenticate": CHALLENGE})
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise ApiError("unauthorized", "Malformed Authorization header. Use `Authorization: Bearer <api key>`.",
                       headers={"WWW-Authenticate": MALFORMED_CHALLENGE})
    return token


def authorize(context: RequestContext, headers: RequestHeaders, runtime: Runtime, now: datetime, *,
              browser_ok: bool) -> Principal:
    """The caller's principal, recorded in `context` as soon as it is known (the access log names
    the key of a refused call too), or the refusal as an `ApiError`."""
    principal = runtime.access.authenticate(bearer_token(headers))
    if principal is None:
        raise ApiError("invalid_token", "API key is invalid or has been revoked.",
                       headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})
    context.principal = principal
    runtime.mark_used(principal.key_id, now)
    if principal.key_type == "publishable":
        if not browser_ok:
            raise ApiError(
                "forbidden",
                f"Publishable keys can only call {BROWSER_ENDPOINT}. Call this endpoint from your "
                "server with a secret key (att_sk_…).",
            )
        origin = headers.get("origin") or ""
        try:
            allowed = normalise_origin(origin) in principal.allowed_origins
        except InvalidInput:
            allowed = False
        if not allowed:
            raise ApiError("forbidden", ORIGIN_FORBIDDEN)
        context.cors_origin = origin
    return principal


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED_HEADERS,
            "Vary": "Origin"}
