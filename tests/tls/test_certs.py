"""Self-signed certificate, CSR and certificate summary."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from attunio.config import TlsSettings
from attunio.tls.certs import SELF_SIGNED_DAYS, ensure_self_signed, names_from
from attunio.tls.context import TlsError
from attunio.tls.inspect import describe, expiry_warning, summarize, summarize_configured

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def make(tmp_path: Path, **tls: object) -> tuple[TlsSettings, Path]:
    settings = TlsSettings(**tls)  # type: ignore[arg-type]
    issued = ensure_self_signed(settings, tmp_path / "data", NOW)
    assert issued is not None
    return settings, tmp_path / "data"


def test_self_signed_has_configured_names_plus_localhost(tmp_path: Path) -> None:
    make(tmp_path, hostnames=["Attunio.Hospital.Local."], ip_addresses=["10.1.2.3"])
    cert = x509.load_pem_x509_certificate((tmp_path / "data/tls/cert.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["attunio.hospital.local", "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("10.1.2.3"),
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert cert.not_valid_after_utc - NOW == dt.timedelta(days=SELF_SIGNED_DAYS)


def test_key_is_owner_only_and_csr_matches_key_and_names(tmp_path: Path) -> None:
    make(tmp_path, hostnames=["attunio.hospital.local"])
    tls_dir = tmp_path / "data/tls"
    assert stat.S_IMODE((tls_dir / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(tls_dir.stat().st_mode) == 0o700
    csr = x509.load_pem_x509_csr((tls_dir / "request.csr").read_bytes())
    cert = x509.load_pem_x509_certificate((tls_dir / "cert.pem").read_bytes())
    assert csr.is_signature_valid
    assert csr.public_key() == cert.public_key()
    assert csr.subject == cert.subject
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "attunio.hospital.local" in san.get_values_for_type(x509.DNSName)


def test_openssl_accepts_csr_and_certificate(tmp_path: Path) -> None:
    make(tmp_path)
    tls_dir = tmp_path / "data/tls"
    subprocess.run(["openssl", "req", "-in", tls_dir / "request.csr", "-verify", "-noout"], check=True)
    subprocess.run(
        ["openssl", "verify", "-CAfile", tls_dir / "cert.pem", tls_dir / "cert.pem"],
        check=True,
        capture_output=True,
    )


def test_init_is_idempotent_and_skips_configured_certificate(tmp_path: Path) -> None:
    settings, data_dir = make(tmp_path)
    before = (data_dir / "tls/cert.pem").read_bytes()
    again = ensure_self_signed(settings, data_dir, NOW)
    assert again is not None and not again.created
    assert (data_dir / "tls/cert.pem").read_bytes() == before
    assert ensure_self_signed(TlsSettings(cert_file="/elsewhere/cert.pem"), tmp_path / "other", NOW) is None
    assert not (tmp_path / "other").exists()


def test_bad_names_are_refused() -> None:
    with pytest.raises(TlsError, match=r"tls.ip_addresses"):
        names_from(["localhost"], ["not-an-ip"])
    with pytest.raises(TlsError, match=r"tls.hostnames"):
        names_from(["krankenhäus.de"], [])


def test_summary_and_show_lines(tmp_path: Path) -> None:
    settings, data_dir = make(tmp_path, hostnames=["attunio.test"], profile="intermediate")
    summary = summarize_configured(settings, data_dir)
    assert summary.self_signed
    assert summary.dns_names == ("attunio.test", "localhost")
    assert summary.ip_addresses == ("127.0.0.1", "::1")
    assert summary.key == "ECDSA secp256r1"
    text = "\n".join(describe(summary, settings, NOW))
    for expected in (
        "subject:",
        "issuer:",
        "(self-signed)",
        "DNS:attunio.test",
        "IP:::1",
        "expires:",
        "intermediate",
    ):
        assert expected in text
    assert "WARNING" not in text


def test_expiry_warning_within_30_days(tmp_path: Path) -> None:
    settings, data_dir = make(tmp_path)
    summary = summarize(data_dir / "tls/cert.pem")
    expires = summary.not_after
    assert expiry_warning(summary, expires - dt.timedelta(days=31)) is None
    soon = expiry_warning(summary, expires - dt.timedelta(days=29, hours=1))
    assert soon is not None and "expires in 29 days" in soon
    gone = expiry_warning(summary, expires + dt.timedelta(seconds=1))
    assert gone is not None and "expired" in gone
    early = expiry_warning(summary, summary.not_before - dt.timedelta(days=1))
    assert early is not None and "not valid before" in early
    assert "WARNING:" in "\n".join(describe(summary, settings, expires - dt.timedelta(days=3)))


def test_summary_of_missing_or_garbage_file(tmp_path: Path) -> None:
    with pytest.raises(TlsError, match="cannot read"):
        summarize(tmp_path / "nope.pem")
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(TlsError, match="no PEM certificate"):
        summarize(tmp_path / "junk.pem")


def test_crl_warnings_before_and_after_next_update(tmp_path: Path) -> None:
    from attunio.tls.inspect import crl_warnings

    from . import pki

    ca = pki.make_ca("Hospital CA")
    now = pki.NOW
    next_update = now + dt.timedelta(days=7)
    (tmp_path / "ca.crl").write_bytes(pki.make_crl(ca, [], next_update=next_update))
    assert crl_warnings(tmp_path / "ca.crl", now) == []
    soon = crl_warnings(tmp_path / "ca.crl", next_update - dt.timedelta(days=1))
    assert len(soon) == 1 and "lapses on" in soon[0]
    lapsed = crl_warnings(tmp_path / "ca.crl", next_update + dt.timedelta(minutes=1))
    assert len(lapsed) == 1 and "clients are refused" in lapsed[0]
