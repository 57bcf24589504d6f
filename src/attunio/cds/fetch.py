"""Bounded GETs to an EHR's FHIR server (missing prefetch) or an issuer's `jku` (JWK Set), with httpx.

Only base URLs on `cds.fhir_servers` are fetched from, never a redirect (it could leave the
allow-list), within `cds.fetch_timeout_seconds` for the whole exchange and `cds.fetch_max_bytes`
for the body, which is read as it streams so a large answer is cut off, not buffered.
"""

from __future__ import annotations

import asyncio

import httpx

FHIR_JSON = "application/fhir+json"


class FetchError(Exception):
    """The resource could not be fetched; the message names why (never the token)."""


def normalise_base(url: str) -> str:
    return url.rstrip("/")


class Fetcher:
    def __init__(self, *, timeout: float, max_bytes: int, allowed_bases: list[str]) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allowed = {normalise_base(u) for u in allowed_bases}
        self._client: httpx.AsyncClient | None = None

    def allows(self, base: str) -> bool:
        return normalise_base(base) in self.allowed

    def client(self) -> httpx.AsyncClient:
        # One connection pool per worker, made in the worker's event loop on first use.
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False,
                                             timeout=httpx.Timeout(self.timeout))
        return self._client

    async def fhir(self, base: str, relative: str, access_token: str) -> bytes:
        if not self.allows(base):
            raise FetchError("fhirServer is not on this appliance's allow-list (cds.fhir_servers)")
        url = f"{normalise_base(base)}/{relative}"
        return await self.get(url, {"Accept": FHIR_JSON, "Authorization": f"Bearer {access_token}"})

    async def get(self, url: str, headers: dict[str, str]) -> bytes:
        try:
            return await asyncio.wait_for(self._get(url, headers), self.timeout)
        except TimeoutError:
            raise FetchError(f"no complete answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"request failed ({type(exc).__name__})") from None

    async def _get(self, url: str, headers: dict[str, str]) -> bytes:
        async with self.client().stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                raise FetchError(f"answered HTTP {response.status_code}")
            announced = response.headers.get("content-length")
            if announced is not None and announced.isdigit() and int(announced) > self.max_bytes:
                raise FetchError(f"answer larger than {self.max_bytes} bytes")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"answer larger than {self.max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
