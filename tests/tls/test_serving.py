"""The certificate state /readyz reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from attunio.config import TlsSettings
from attunio.tls.certs import ensure_self_signed
from attunio.tls.inspect import readiness, summarize_configured


def test_readiness_states(tmp_path: Path) -> None:
    tls = TlsSettings()
    assert readiness(tls, tmp_path, dt.datetime.now(dt.UTC))["status"] == "error"
    ensure_self_signed(tls, tmp_path, dt.datetime.now(dt.UTC))
    expires = summarize_configured(tls, tmp_path).not_after
    assert readiness(tls, tmp_path, expires - dt.timedelta(days=60))["status"] == "ok"
    soon = readiness(tls, tmp_path, expires - dt.timedelta(days=10))
    assert soon["status"] == "warning" and "expires in 10 days" in soon["message"]
    assert readiness(tls, tmp_path, expires + dt.timedelta(days=1))["status"] == "error"
    assert readiness(TlsSettings(enabled=False), tmp_path, expires) == {"status": "disabled"}
    assert str(tmp_path) not in str(soon)
