"""TLS's part in `attunio init` and `attunio serve`, in process."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from attunio.cli.tls import init_certificate, serve_tls
from attunio.config import PathsSettings, Settings, TlsSettings
from attunio.tls.certs import ensure_self_signed
from attunio.tls.context import ServerContextFactory


def settings_in(root: Path, **tls: Any) -> Settings:
    return Settings(paths=PathsSettings(data_dir=str(root / "data")), tls=TlsSettings(**tls))


def test_init_hook_makes_then_keeps_the_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_in(tmp_path)
    init_certificate(settings, None)
    assert "(self-signed, created)" in capsys.readouterr().out
    init_certificate(settings, None)
    assert "(exists, kept)" in capsys.readouterr().out
    init_certificate(settings_in(tmp_path / "off", enabled=False), None)
    assert not (tmp_path / "off").exists()


def test_serve_hook_sets_the_factory_and_warns_near_expiry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_in(tmp_path)
    # A certificate made 380 days ago by a 397-day issuer expires in 17 days.
    ensure_self_signed(settings.tls, settings.data_dir, dt.datetime.now(dt.UTC) - dt.timedelta(days=380))
    kwargs: dict[str, Any] = {}
    serve_tls(settings, kwargs)
    assert isinstance(kwargs["ssl_context_factory"], ServerContextFactory)
    assert re.search(r"warning: TLS certificate expires in 1[67] days", capsys.readouterr().err)


def test_serve_hook_stops_on_missing_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        serve_tls(settings_in(tmp_path), {})
    assert "tls.cert_file" in capsys.readouterr().err
