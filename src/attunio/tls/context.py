"""The server's SSLContext, built from the `[tls]` settings.

uvicorn 0.54 accepts `ssl_context_factory(config, default_factory) -> SSLContext` on its
`Config` and calls it from `Config.load()`, i.e. once in every worker process. We ignore the
default factory: it can only set one cipher string and a verify mode, not a minimum protocol
version, which is what the profiles are about. `ServerContextFactory` is a small picklable
object (not a closure) because uvicorn hands the config to spawned worker processes.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from attunio.config import Settings, TlsSettings
from attunio.refusals import NotSetUp
from attunio.tls.groups import GroupsError, set_groups

log = logging.getLogger("attunio.tls")
CRL_CHECK_S = 5.0  # how often, at most, a handshake looks whether the CRL file has changed
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----\r?\n?", re.S)

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


class TlsError(NotSetUp):
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
    try:
        set_groups(ctx)  # both profiles: X25519, P-256, P-384, as Mozilla lists (no X448, no P-521)
    except GroupsError as exc:
        raise TlsError(f"tls.profile: {exc}") from None


def build_server_context(tls: TlsSettings, data_dir: Path, *, watch_crl: bool = True) -> ssl.SSLContext:
    """The server's context. With a CRL file, `watch_crl` makes handshakes pick up a changed file."""
    files = resolve_files(tls, data_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    apply_profile(ctx, tls.profile)
    # Renegotiation is a TLS 1.2 attack surface nothing here needs; compression enables CRIME.
    # No TLS 1.2 session tickets (Mozilla's intermediate): a ticket key that never rotates across a
    # worker's life would undo forward secrecy; TLS 1.3 resumption uses OpenSSL's stateful tickets.
    ctx.options |= ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET
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
            _load_crls(ctx, files.client_crl_file, read_crls(files.client_crl_file))
            if watch_crl:
                ctx.sni_callback = CrlWatch(tls, data_dir, files.client_crl_file, ctx).on_client_hello
    else:
        if files.client_crl_file is not None:
            raise TlsError("tls.client_crl_file is set but tls.client_ca_file is not; CRLs need the CAs they belong to")
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def read_crls(path: Path) -> bytes:
    """The file's PEM CRLs, each parsed; anything else in it stops start-up. OpenSSL would load a
    certificate found in a CRL file as one more trusted CA, so a CA certificate bundled with its CRL
    would let every certificate it signs in."""
    _require_file("tls.client_crl_file", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TlsError(f"tls.client_crl_file: cannot read {path}: {exc.strerror}") from None
    blocks = list(_PEM_BLOCK.finditer(data))
    others = sorted({m.group(1).decode("ascii") for m in blocks} - {"X509 CRL"})
    if others:
        raise TlsError(f"tls.client_crl_file: {path} holds a {others[0]} block; only CRLs "
                       "(-----BEGIN X509 CRL-----) are accepted there (a certificate would be trusted as a client CA)")
    if not blocks:
        raise TlsError(f"tls.client_crl_file: {path} holds no PEM CRL (-----BEGIN X509 CRL-----)")
    for number, block in enumerate(blocks, 1):
        try:
            x509.load_pem_x509_crl(block.group(0))
        except ValueError:
            raise TlsError(f"tls.client_crl_file: CRL number {number} in {path} cannot be parsed") from None
    return b"".join(m.group(0).rstrip(b"\r\n") + b"\n" for m in blocks)


def _load_crls(ctx: ssl.SSLContext, path: Path, crls: bytes) -> None:
    """Check each client certificate against its issuer's CRL. Leaf only: hospital client CAs are
    rarely more than one level deep, and full-chain checking would need a CRL from the root too.

    Python's `cadata` reads certificates only, so the checked CRLs are handed to OpenSSL as a file
    that exists only in memory: exactly the bytes checked, not the file again (which may have
    changed since), and nothing written to disk."""
    fd = os.memfd_create("attunio-crl", os.MFD_CLOEXEC)
    try:
        os.write(fd, crls)
        ctx.load_verify_locations(cafile=f"/proc/self/fd/{fd}")
    except ssl.SSLError as exc:
        raise TlsError(f"tls.client_crl_file: {path} cannot be loaded: {exc}") from None
    finally:
        os.close(fd)
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class CrlWatch:
    """Re-reads the CRL file when it changes, without a restart.

    An SSLContext can add CRLs but never drop one, so a changed file means a new context: OpenSSL
    calls `sni_callback` on every ClientHello (with or without SNI), and there the connection is
    moved to the newest context, whose store is what verifies the client certificate. The file is
    looked at at most every CRL_CHECK_S seconds. A changed file that is not valid is logged and the
    last good CRLs stay in force (still refusing what they refused).
    """

    def __init__(self, tls: TlsSettings, data_dir: Path, path: Path, first: ssl.SSLContext) -> None:
        self._tls, self._data_dir, self._path = tls, data_dir, path
        self._stamp = _stamp(path)
        self._current = first
        self._next_check = time.monotonic() + CRL_CHECK_S

    def on_client_hello(self, conn: ssl.SSLObject, server_name: str | None, ctx: ssl.SSLContext) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CRL_CHECK_S
            stamp = _stamp(self._path)
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._current = build_server_context(self._tls, self._data_dir, watch_crl=False)
                    log.info("client CRL file changed; reloaded", extra={"file": str(self._path)})
                except TlsError as exc:
                    log.error("client CRL file changed but cannot be used; the previous CRLs stay in force",
                              extra={"reason": str(exc)})
        if self._current is not ctx:
            conn.context = self._current


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
