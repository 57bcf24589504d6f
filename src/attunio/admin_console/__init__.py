"""The admin console's pages: one HTML shell at /admin and its script, style and chart files under
/admin/static/, all package data read once at start-up; the pages call only /admin/api."""

from __future__ import annotations

from attunio.admin_console.pages import CSP, FILES, build_routes

__all__ = ["CSP", "FILES", "build_routes"]
