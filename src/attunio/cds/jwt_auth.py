"""The CDS Hooks JWT check (CDS Hooks 2.0, "Trusting CDS Clients"), with PyJWT.

Order: header (`alg` asymmetric, `typ` JWT, `kid`), then the issuer on the allow-list, then its key
(the registered JWK Set, or a `jku` that issuer registered), then signature and claims (`aud` the
exact URL called, `exp`/`iat` within the leeway, `jti` present), then the lifetime cap, then
replay. The only claim read before the signature is verified is `iss`, to pick the key. Every
refusal is `401 invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750
§3.1; the CDS Hooks specification leaves 4xx statuses to the service).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import msgspec

from attunio.cds.registry import CdsRegistry, check_jwks
from attunio.errors import ApiError

# Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037). The specification recommends ES384 and
# RS384, forbids `none` and every symmetric (HMAC) algorithm.
ALGORITHMS = ("ES384", "RS384", "ES256", "ES512", "RS256", "RS512", "PS256", "PS384", "PS512", "EdDSA")
JWKS_CACHE_SECONDS = 300.0
CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class EhrCaller(msgspec.Struct, frozen=True, kw_only=True):
    """Who called, for the access log (`app_id`) and the records; never the token."""

    iss: str
    name: str
    tenant: str | None
    jti: str

    @property
    def app_id(self) -> str:
        return f"ehr:{self.name}"


def refuse(message: str) -> ApiError:
    return ApiError("invalid_token", message, headers=CHALLENGE)


def bearer(header: str | None) -> str:
    if header is None:
        raise ApiError("unauthorized", "Missing Authorization header. CDS Hooks calls carry "
                       "`Authorization: Bearer <JWT>` signed by the EHR.", headers={"WWW-Authenticate": "Bearer"})
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise ApiError("unauthorized", "Malformed Authorization header. Use `Authorization: Bearer <JWT>`.",
                       headers={"WWW-Authenticate": "Bearer"})
    return token


FetchJwks = Callable[[str], Awaitable[bytes]]


class JwtVerifier:
    def __init__(self, registry: CdsRegistry, *, leeway: int, max_lifetime: int, fetch_jwks: FetchJwks) -> None:
        self.registry = registry
        self.leeway = leeway
        self.max_lifetime = max_lifetime
        self.fetch_jwks = fetch_jwks
        self._jku_cache: dict[str, tuple[float, dict[str, Any]]] = {}

    async def verify(self, authorization: str | None, audiences: list[str]) -> EhrCaller:
        token = bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise refuse("The bearer token is not a well-formed JWT.") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise refuse(f"JWT alg {alg!r} is refused: CDS Hooks requires an asymmetric signature "
                         "(ES384 or RS384 recommended); `none` and HMAC are never accepted.")
        if header.get("typ") != "JWT":
            raise refuse("JWT header `typ` must be `JWT`.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise refuse("JWT header `kid` is required to pick the EHR's key.")
        iss = unverified.get("iss")
        client = self.registry.get(iss) if isinstance(iss, str) else None
        if client is None:
            raise refuse("JWT `iss` is not a registered EHR (see `attunio ehr register`).")
        keys = await self._keys(client.jwks, client.jku, header.get("jku"))
        raw = keys.get(kid)
        if raw is None:
            raise refuse(f"JWT `kid` {kid!r} is not in the registered JWK Set of this issuer.")
        if raw.get("alg") not in (None, alg):
            raise refuse(f"JWT `kid` {kid!r} is registered for {raw['alg']}, not {alg}.")
        try:
            key = jwt.PyJWK(raw, algorithm=alg)
        except jwt.PyJWTError:
            raise refuse(f"JWT `kid` {kid!r} is not a {alg} key.") from None
        try:
            claims = jwt.decode(
                token, key=key.key, algorithms=[alg], audience=audiences, issuer=iss, leeway=self.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidSignatureError:
            raise refuse("JWT signature does not verify with the issuer's key.") from None
        except jwt.ExpiredSignatureError:
            raise refuse("JWT has expired.") from None
        except jwt.ImmatureSignatureError:
            raise refuse("JWT `iat` or `nbf` is in the future.") from None
        except jwt.InvalidAudienceError:
            raise refuse(f"JWT `aud` must be the URL called: {audiences[0]}.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise refuse(f"JWT claim `{exc.claim}` is required.") from None
        except jwt.PyJWTError as exc:
            raise refuse(f"JWT refused: {type(exc).__name__}.") from None
        return self._admit(claims, client.iss, client.name, time.time())

    def _admit(self, claims: dict[str, Any], iss: str, name: str, moment: float) -> EhrCaller:
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise refuse("JWT `exp` and `iat` must be numbers.")
        if iat > moment + self.leeway:
            raise refuse("JWT `iat` is in the future.")
        if exp - iat > self.max_lifetime:
            raise refuse(f"JWT lifetime (exp - iat) exceeds {self.max_lifetime} seconds.")
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            raise refuse("JWT `jti` must be a non-empty string of at most 256 characters.")
        tenant = claims.get("tenant")
        tenant = tenant[:256] if isinstance(tenant, str) else None
        if not self.registry.remember_jti(iss, jti, int(exp) + self.leeway, tenant, int(moment)):
            raise refuse("JWT `jti` has been used before: replayed tokens are refused.")
        return EhrCaller(iss=iss, name=name, tenant=tenant, jti=jti)

    async def _keys(self, registered: str, allowed_jku: list[str], jku: Any) -> dict[str, dict[str, Any]]:
        """The issuer's public keys by `kid`: its registered JWK Set, or the one at a `jku` it registered."""
        if jku is None:
            data = json.loads(registered)
        else:
            if jku not in allowed_jku:
                raise refuse("JWT `jku` is not a JWK Set URL registered for this issuer.")
            cached = self._jku_cache.get(jku)
            if cached is not None and cached[0] > time.monotonic():
                data = cached[1]
            else:
                try:
                    data = json.loads(check_jwks((await self.fetch_jwks(jku)).decode()))
                except (ValueError, OSError):
                    raise refuse("The JWK Set at the JWT's `jku` could not be read.") from None
                self._jku_cache[jku] = (time.monotonic() + JWKS_CACHE_SECONDS, data)
        return {key["kid"]: key for key in data["keys"]}
