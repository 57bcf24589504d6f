"""The capture SDK at /sdk/<file> and the live demo at /demo, served from the package files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

# Media types without a charset: Litestar adds `; charset=utf-8` to every `text/*` type itself, so
# naming it here too sent it twice.
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".json": "application/json"}
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "media-src 'self' blob:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
)


def capture_dir() -> Path:
    """Installed wheels carry the SDK inside the package; a source checkout has it in src/capture."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_capture", here.parent / "capture"):
        if candidate.is_dir():
            return candidate
    return here / "_capture"


def _load() -> dict[str, tuple[bytes, str]]:
    """Read the files once at start-up; only names in this table can ever be served."""
    root = capture_dir()
    files: dict[str, tuple[bytes, str]] = {}
    if root.is_dir():
        for path in root.iterdir():
            if path.is_file() and path.suffix in TYPES:
                files[path.name] = (path.read_bytes(), TYPES[path.suffix])
    return files


def _respond(files: dict[str, tuple[bytes, str]], name: str, headers: dict[str, str]) -> Response[bytes]:
    if name not in files:
        raise NotFoundException()
    content, media_type = files[name]
    if media_type.startswith("text/html"):
        # Any page, under whichever path, gets the demo's policy: scripts and connections to this
        # origin only, so no link can make it send a session's telemetry elsewhere.
        headers = {**headers, "Content-Security-Policy": DEMO_CSP}
    return Response(content, media_type=media_type, headers=headers)


def build_routes() -> list[Any]:
    files = _load()
    # One fixed path per file, not `/sdk/{name}`: only paths the appliance serves are logged as
    # sent (api/edge.py), so any other text after /sdk/ is logged as `/sdk/[unrouted]`.
    sdk_paths = [f"/sdk/{name}" for name in sorted(files)] or ["/sdk/capture.js"]

    @get(sdk_paths, sync_to_thread=False)
    def sdk_file(request: Request[Any, Any, Any]) -> Response[bytes]:
        name = request.url.path.rsplit("/", 1)[-1]
        return _respond(files, name, {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"})

    @get("/demo", sync_to_thread=False)
    def demo() -> Response[bytes]:
        return _respond(files, "demo.html", {"Cache-Control": "no-cache"})

    return [sdk_file, demo]
