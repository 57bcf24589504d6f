"""The API reference page at /docs: three small files in this package that render
/v1/openapi.json in the browser, under a CSP that lets the page load nothing but them and the
document (docs/design.md says why not a vendored Redoc or Swagger UI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Response, get

HERE = Path(__file__).resolve().parent / "reference"
# Everything the page needs is its own three files and the document: no inline script or style,
# no other origin, no frames, no forms.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
FILES = {"index.html": "text/html", "reference.js": "text/javascript", "reference.css": "text/css"}


def build_routes() -> list[Any]:
    files = {name: (HERE / name).read_bytes() for name in FILES}
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}

    def respond(name: str) -> Response[bytes]:
        # Litestar adds `; charset=utf-8` to text types itself.
        return Response(files[name], media_type=FILES[name], headers=headers)

    @get("/docs", sync_to_thread=False)
    def page() -> Response[bytes]:
        return respond("index.html")

    @get("/docs/reference.js", sync_to_thread=False)
    def script() -> Response[bytes]:
        return respond("reference.js")

    @get("/docs/reference.css", sync_to_thread=False)
    def style() -> Response[bytes]:
        return respond("reference.css")

    return [page, script, style]
