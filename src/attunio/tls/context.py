"""The server's SSLContext, built from the `[tls]` settings.

uvicorn 0.54 accepts `ssl_context_factory(config, default_factory) -> SSLContext` on its
`Config` and calls it from `Config.load()`, i.e. once in every worker process. We ignore the
default factory: it can only set one cipher string and a verify mode, not a minimum protocol
version, which is what the profiles are about. `ServerContextFactory` is a small picklable
object (not a closure) because uvicorn hands the config to spawned worker processes.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attunio.config import Settings, TlsSettings

# Mozilla "intermediate" TLS 1.2 suites (server-side-tls guidelines v5.7 and later): ECDHE key
# exchange with AEAD ciphers only. No CBC, no RSA key transport, no SHA-1 MACs. The finite-field
# DHE suites that older versions of the list carried are left out: they need operator-supplied
# DH parameters and every integration engine that speaks TLS 1.2 also speaks ECDHE.
INTERMEDIATE_TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)

# Where `attunio init` puts the self-signed certificate when none is configured.
TLS_DIR_NAME = "tls"
SELF_SIGNED_CERT = "cert.pem"
SELF_SIGNED_KEY = "key.pem"
CSR_NAME = "request.csr"


class TlsError(Exception):
    """The TLS material is missing, unreadable or inconsistent; the message names the setting."""


@dataclass(frozen=True)
class TlsFiles:
    cert_file: Path
    key_file: Path | None
    key_password_file: Path | None
    client_ca_file: Path | None
    client_crl_file: Path | None


def self_signed_dir(data_dir: Path) -> Path:
    return data_dir / TLS_DIR_NAME


def resolve_files(tls: TlsSettings, data_dir: Path) -> TlsFiles:
    """The files the server will load: the configured ones, or those `attunio init` made."""
    if tls.cert_file:
        cert = Path(tls.cert_file)
        key = Path(tls.key_file) if tls.key_file else None
    else:
        if tls.key_file:
            raise TlsError("tls.key_file is set but tls.cert_file is not; set both or neither")
        cert = self_signed_dir(data_dir) / SELF_SIGNED_CERT
        key = self_signed_dir(data_dir) / SELF_SIGNED_KEY
    return TlsFiles(
        cert_file=cert,
        key_file=key,
        key_password_file=Path(tls.key_password_file) if tls.key_password_file else None,
        client_ca_file=Path(tls.client_ca_file) if tls.client_ca_file else None,
        client_crl_file=Path(tls.client_crl_file) if tls.client_crl_file else None,
    )


def read_key_password(path: Path) -> bytes:
    """The key password is the file's content without one trailing newline (as `echo` writes it)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TlsError(f"tls.key_password_file: cannot read {path}: {exc.strerror}") from None
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    if not raw:
        raise TlsError(f"tls.key_password_file: {path} is empty")
    return raw


def _require_file(setting: str, path: Path) -> None:
    if not path.is_file():
        hint = " (run `attunio init` to make a self-signed one)" if setting == "tls.cert_file" else ""
        raise TlsError(f"{setting}: {path} does not exist or is not a file{hint}")


def apply_profile(ctx: ssl.SSLContext, profile: str) -> None:
    """Pin the protocol range explicitly so the system OpenSSL configuration cannot widen it."""
    if profile == "modern":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    elif profile == "intermediate":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        # Only affects TLS 1.2; the TLS 1.3 suites (all AEAD) are OpenSSL's fixed defaults.
        ctx.set_ciphers(INTERMEDIATE_TLS12_CIPHERS)
    else:
        raise TlsError(f"tls.profile: unknown profile {profile!r} (modern or intermediate)")


def build_server_context(tls: TlsSettings, data_dir: Path) -> ssl.SSLContext:
    files = resolve_files(tls, data_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    apply_profile(ctx, tls.profile)
    # Renegotiation is a TLS 1.2 attack surface nothing here needs; compression enables CRIME.
    ctx.options |= ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_COMPRESSION
    ctx.set_alpn_protocols(["http/1.1"])

    _require_file("tls.cert_file", files.cert_file)
    if files.key_file is not None:
        _require_file("tls.key_file", files.key_file)
    password = read_key_password(files.key_password_file) if files.key_password_file else None
    if password is None and _is_encrypted(files.key_file or files.cert_file):
        # Caught here: without a password OpenSSL would try to prompt on a terminal there isn't.
        raise TlsError(f"tls.key_file: {files.key_file or files.cert_file} is encrypted; set tls.key_password_file")
    try:
        ctx.load_cert_chain(files.cert_file, files.key_file, password)
    except ssl.SSLError as exc:
        raise TlsError(_explain_load_error(exc, files, password is not None)) from None
    except OSError as exc:
        raise TlsError(f"tls.cert_file/tls.key_file: cannot read: {exc.strerror}") from None

    if files.client_ca_file is not None:
        _require_file("tls.client_ca_file", files.client_ca_file)
        try:
            ctx.load_verify_locations(cafile=files.client_ca_file)
        except ssl.SSLError as exc:
            raise TlsError(f"tls.client_ca_file: {files.client_ca_file} holds no usable CA: {exc}") from None
        ctx.verify_mode = ssl.CERT_REQUIRED
        if files.client_crl_file is not None:
            _load_crls(ctx, files.client_crl_file)
    else:
        if files.client_crl_file is not None:
            raise TlsError("tls.client_crl_file is set but tls.client_ca_file is not; CRLs need the CAs they belong to")
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _load_crls(ctx: ssl.SSLContext, path: Path) -> None:
    """Check each client certificate against its issuer's CRL. Leaf only: hospital client CAs are
    rarely more than one level deep, and full-chain checking would need a CRL from the root too."""
    _require_file("tls.client_crl_file", path)
    if b"-----BEGIN X509 CRL-----" not in path.read_bytes():
        raise TlsError(f"tls.client_crl_file: {path} holds no PEM CRL (-----BEGIN X509 CRL-----)")
    try:
        ctx.load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        raise TlsError(f"tls.client_crl_file: {path} cannot be loaded: {exc}") from None
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF


def _is_encrypted(key_path: Path) -> bool:
    try:
        head = key_path.read_bytes()
    except OSError:
        return False  # load_cert_chain reports the unreadable file
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in head or b"Proc-Type: 4,ENCRYPTED" in head


def _explain_load_error(exc: ssl.SSLError, files: TlsFiles, has_password: bool) -> str:
    reason = (exc.reason or str(exc)).upper()
    key = files.key_file or files.cert_file
    if "KEY_VALUES_MISMATCH" in reason or "NO_CERTIFICATE_ASSIGNED" in reason:
        return f"tls.key_file: {key} is not the key of the certificate in {files.cert_file}"
    if has_password and _is_encrypted(key):
        # OpenSSL reports a wrong password only as a generic "PEM lib" error.
        return f"tls.key_password_file: the password does not decrypt {key}"
    return f"tls.cert_file/tls.key_file: cannot load {files.cert_file} and {key}: {exc}"


@dataclass(frozen=True)
class ServerContextFactory:
    """uvicorn's `ssl_context_factory`: builds our context in each worker from the settings."""

    tls: TlsSettings
    data_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerContextFactory:
        return cls(tls=settings.tls, data_dir=settings.data_dir)

    def __call__(self, config: Any, default_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return build_server_context(self.tls, self.data_dir)
