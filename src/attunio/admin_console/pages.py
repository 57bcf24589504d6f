"""GET /admin (the console), GET /admin/static/<file>, and /dashboard, the name the reference's
messages use, redirecting to the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect

HERE = Path(__file__).resolve().parent / "static"
# The pages load only their own files and talk only to this origin: no inline script or style, no
# frames in either direction, no form that could post the admin token anywhere (forms are sent by
# the script), no plugin, no <base> rewrite.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# Only these names are ever served; one fixed path each (api/static.py says why: logged paths).
FILES = ("console.js", "charts.js", "dom.js", "pages.js", "models.js", "console.css")


def _load() -> dict[str, tuple[bytes, str]]:
    return {name: ((HERE / name).read_bytes(), TYPES[Path(name).suffix]) for name in (*FILES, "index.html")}


def build_routes() -> list[Any]:
    files = _load()
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Frame-Options": "DENY"}

    def respond(name: str) -> Response[bytes]:
        content, media_type = files[name]
        return Response(content, media_type=media_type, headers=headers)

    @get("/admin", sync_to_thread=False, include_in_schema=False)
    def console() -> Response[bytes]:
        return respond("index.html")

    @get([f"/admin/static/{name}" for name in FILES], sync_to_thread=False, include_in_schema=False)
    def static_file(request: Request[Any, Any, Any]) -> Response[bytes]:
        return respond(request.url.path.rsplit("/", 1)[-1])

    @get("/dashboard", sync_to_thread=False, include_in_schema=False)
    def dashboard() -> Redirect:
        # 302, not 301: a browser must not cache a redirect an operator may later want elsewhere.
        return Redirect("/admin", status_code=302)

    return [console, static_file, dashboard]
