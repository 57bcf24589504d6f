"""Building the server context: profiles, key passwords, client CA, and clear errors."""

from __future__ import annotations

import pickle
import ssl
from pathlib import Path

import pytest

from attunio.config import Settings, TlsSettings
from attunio.tls.context import (
    INTERMEDIATE_TLS12_CIPHERS,
    ServerContextFactory,
    TlsError,
    build_server_context,
)

from . import pki
from .conftest import Pki


def test_modern_pins_tls13(tls_pki: Pki) -> None:
    ctx = build_server_context(TlsSettings(), tls_pki.root / "data")
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
    assert ctx.verify_mode == ssl.CERT_NONE
    assert ctx.options & ssl.OP_NO_RENEGOTIATION


def test_intermediate_offers_only_aead_tls12_suites(tls_pki: Pki) -> None:
    ctx = build_server_context(TlsSettings(profile="intermediate"), tls_pki.root / "data")
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    tls12 = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == set(INTERMEDIATE_TLS12_CIPHERS.split(":"))
    assert all(c["aead"] for c in ctx.get_ciphers())


def test_client_ca_requires_certificates(tls_pki: Pki) -> None:
    ctx = build_server_context(TlsSettings(client_ca_file=str(tls_pki.hospital_ca)), tls_pki.root / "data")
    assert ctx.verify_mode == ssl.CERT_REQUIRED


@pytest.fixture
def hospital_server(tmp_path: Path) -> tuple[Path, Path]:
    """An RSA server certificate from a hospital CA with a password-protected key."""
    ca = pki.make_ca("Hospital CA")
    return pki.issue(ca, "attunio.hospital.local", client=False, rsa_key=True).write(
        tmp_path, "server", password=b"s3cret pass"
    )


def test_encrypted_key_with_password_file(tmp_path: Path, hospital_server: tuple[Path, Path]) -> None:
    cert, key = hospital_server
    (tmp_path / "pw").write_bytes(b"s3cret pass\n")  # as `echo` writes it
    tls = TlsSettings(cert_file=str(cert), key_file=str(key), key_password_file=str(tmp_path / "pw"))
    build_server_context(tls, tmp_path)


def test_encrypted_key_without_or_with_wrong_password(tmp_path: Path, hospital_server: tuple[Path, Path]) -> None:
    cert, key = hospital_server
    with pytest.raises(TlsError, match="key_password_file"):
        build_server_context(TlsSettings(cert_file=str(cert), key_file=str(key)), tmp_path)
    (tmp_path / "pw").write_text("wrong")
    tls = TlsSettings(cert_file=str(cert), key_file=str(key), key_password_file=str(tmp_path / "pw"))
    with pytest.raises(TlsError, match="password does not decrypt"):
        build_server_context(tls, tmp_path)


def test_key_of_another_certificate(tmp_path: Path, hospital_server: tuple[Path, Path], tls_pki: Pki) -> None:
    cert, _ = hospital_server
    tls = TlsSettings(cert_file=str(cert), key_file=str(tls_pki.client_key))
    with pytest.raises(TlsError, match="is not the key of the certificate"):
        build_server_context(tls, tmp_path)


def test_missing_files_name_the_setting(tmp_path: Path, tls_pki: Pki) -> None:
    with pytest.raises(TlsError, match=r"tls\.cert_file: .*attunio init"):
        build_server_context(TlsSettings(), tmp_path)
    with pytest.raises(TlsError, match=r"tls\.key_file is set but tls\.cert_file is not"):
        build_server_context(TlsSettings(key_file="k.pem"), tmp_path)
    with pytest.raises(TlsError, match=r"tls\.client_ca_file"):
        build_server_context(TlsSettings(client_ca_file=str(tmp_path / "none.pem")), tls_pki.root / "data")
    with pytest.raises(TlsError, match=r"tls\.key_password_file"):
        build_server_context(TlsSettings(key_password_file=str(tmp_path / "nope")), tls_pki.root / "data")


def test_factory_survives_pickling_for_worker_processes(tls_pki: Pki) -> None:
    settings = Settings()
    settings.paths.data_dir = str(tls_pki.root / "data")
    factory = pickle.loads(pickle.dumps(ServerContextFactory.from_settings(settings)))
    ctx = factory(None, ssl.create_default_context)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3


def test_crl_needs_client_ca_and_must_be_a_crl(tls_pki: Pki) -> None:
    data = tls_pki.root / "data"
    with pytest.raises(TlsError, match=r"client_crl_file is set but tls\.client_ca_file is not"):
        build_server_context(TlsSettings(client_crl_file=str(tls_pki.hospital_crl)), data)
    not_a_crl = TlsSettings(client_ca_file=str(tls_pki.hospital_ca), client_crl_file=str(tls_pki.hospital_ca))
    with pytest.raises(TlsError, match="holds a CERTIFICATE block; only CRLs"):
        build_server_context(not_a_crl, data)
    ctx = build_server_context(
        TlsSettings(client_ca_file=str(tls_pki.hospital_ca), client_crl_file=str(tls_pki.hospital_crl)), data
    )
    assert ctx.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
