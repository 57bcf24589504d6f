"""`python -m attunio.healthcheck` against served processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from attunio.config import PathsSettings, ServerSettings, Settings, TlsSettings
from attunio.healthcheck import Unhealthy, check

from . import pki
from .conftest import Pki, Served, free_port

pytestmark = pytest.mark.e2e


def settings_for(tls_pki: Pki, port: int, **tls: object) -> Settings:
    return Settings(
        paths=PathsSettings(data_dir=str(tls_pki.root / "data")),
        server=ServerSettings(host="0.0.0.0", port=port),  # the check maps a wildcard to loopback
        tls=TlsSettings(**tls),  # type: ignore[arg-type]
    )


def test_healthy_over_tls(serve: Callable[..., Served], tls_pki: Pki) -> None:
    served = serve()
    assert check(settings_for(tls_pki, served.port)) == "healthy"


def test_alive_under_mtls_by_handshake(serve: Callable[..., Served], tls_pki: Pki) -> None:
    served = serve(client_ca_file=str(tls_pki.hospital_ca))
    assert check(settings_for(tls_pki, served.port, client_ca_file=str(tls_pki.hospital_ca))).startswith("alive")


def test_unhealthy_when_nothing_listens(tls_pki: Pki) -> None:
    with pytest.raises(Unhealthy, match="nothing listening"):
        check(settings_for(tls_pki, free_port()))


def test_unhealthy_when_another_certificate_is_served(
    serve: Callable[..., Served], tls_pki: Pki, tmp_path: Path
) -> None:
    served = serve()
    other, _ = pki.issue(pki.make_ca("x"), "other", client=False).write(tmp_path, "other")
    settings = settings_for(tls_pki, served.port, cert_file=str(other), key_file=str(tmp_path / "other.key"))
    with pytest.raises(Unhealthy, match="other than the configured"):
        check(settings)
