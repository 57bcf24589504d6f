"""A readable summary of the serving certificate for `attunio tls show` and `/readyz`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from attunio.config import TlsSettings
from attunio.tls.context import TlsError, resolve_files

# /readyz starts warning this long before the certificate expires: enough for a hospital CA's
# change process to issue and mount a new one.
EXPIRY_WARNING_DAYS = 30
# CRLs are typically reissued daily to weekly; warn two days before one lapses, because a lapsed
# CRL makes OpenSSL refuse every client certificate it covers.
CRL_WARNING_DAYS = 2
_CRL_BLOCK = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL)


@dataclass(frozen=True)
class CertSummary:
    path: Path
    subject: str
    issuer: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    serial: str
    sha256: str
    key: str
    chain_length: int

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def days_left(self, now: dt.datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400


def _key_description(cert: x509.Certificate) -> str:
    public = cert.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"ECDSA {public.curve.name}"
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA {public.key_size}"
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(public).__name__


def summarize(path: Path) -> CertSummary:
    """Summarise the first (leaf) certificate of a PEM chain."""
    try:
        chain = x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise TlsError(f"cannot read certificate {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise TlsError(f"{path} holds no PEM certificate: {exc}") from None
    leaf = chain[0]
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    return CertSummary(
        path=path,
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        dns_names=dns,
        ip_addresses=ips,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        serial=format(leaf.serial_number, "x"),
        sha256=leaf.fingerprint(hashes.SHA256()).hex(":").upper(),
        key=_key_description(leaf),
        chain_length=len(chain),
    )


def summarize_configured(tls: TlsSettings, data_dir: Path) -> CertSummary:
    return summarize(resolve_files(tls, data_dir).cert_file)


def expiry_warning(summary: CertSummary, now: dt.datetime, days: int = EXPIRY_WARNING_DAYS) -> str | None:
    """A one-line warning when the certificate is expired, not yet valid or expires within `days`."""
    if now >= summary.not_after:
        return f"TLS certificate expired on {summary.not_after:%Y-%m-%d %H:%M} UTC"
    if now < summary.not_before:
        return f"TLS certificate is not valid before {summary.not_before:%Y-%m-%d %H:%M} UTC"
    left = summary.days_left(now)
    if left <= days:
        return f"TLS certificate expires in {int(left)} days ({summary.not_after:%Y-%m-%d} UTC)"
    return None


def describe(summary: CertSummary, tls: TlsSettings, now: dt.datetime) -> list[str]:
    """The lines `attunio tls show` prints."""
    profile = {
        "modern": "modern (TLS 1.3 only)",
        "intermediate": "intermediate (TLS 1.2 with ECDHE+AEAD suites, and TLS 1.3)",
    }[tls.profile]
    sans = [f"DNS:{name}" for name in summary.dns_names] + [f"IP:{ip}" for ip in summary.ip_addresses]
    clients = f"required, signed by {tls.client_ca_file}" if tls.client_ca_file else "not requested"
    if tls.client_crl_file:
        clients += f"; revocation checked against {tls.client_crl_file}"
    lines = [
        f"certificate:   {summary.path}",
        f"subject:       {summary.subject}",
        f"issuer:        {summary.issuer}{'  (self-signed)' if summary.self_signed else ''}",
        f"names (SAN):   {', '.join(sans) if sans else '(none)'}",
        f"valid from:    {summary.not_before:%Y-%m-%d %H:%M} UTC",
        f"expires:       {summary.not_after:%Y-%m-%d %H:%M} UTC ({int(summary.days_left(now))} days left)",
        f"key:           {summary.key}",
        f"serial:        {summary.serial}",
        f"sha256:        {summary.sha256}",
        f"chain:         {summary.chain_length} certificate(s)",
        f"profile:       {profile}",
        f"client certs:  {clients}",
    ]
    lines.extend(f"WARNING:       {warning}" for warning in tls_warnings(tls, summary, now))
    return lines


def readiness(tls: TlsSettings, data_dir: Path, now: dt.datetime) -> dict[str, str]:
    """The `tls` entry of /readyz: never the certificate's names or path, only its state.

    `warning` within EXPIRY_WARNING_DAYS of expiry; `error` when expired or unreadable (callers
    will refuse it). TLS switched off is reported as such, not as healthy TLS.
    """
    if not tls.enabled:
        return {"status": "disabled"}
    try:
        summary = summarize_configured(tls, data_dir)
    except TlsError:
        return {"status": "error", "message": "the serving certificate cannot be read"}
    expires = summary.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    warnings = tls_warnings(tls, summary, now)
    if not warnings:
        return {"status": "ok", "expiresAt": expires}
    status = "error" if now >= summary.not_after or now < summary.not_before else "warning"
    return {"status": status, "expiresAt": expires, "message": "; ".join(warnings)}


def crl_warnings(path: Path, now: dt.datetime) -> list[str]:
    """A warning per CRL in the file that has lapsed or lapses within CRL_WARNING_DAYS."""
    try:
        blocks = _CRL_BLOCK.findall(path.read_bytes())
    except OSError:
        return [f"the client CRL file {path.name} cannot be read"]
    warnings = []
    for block in blocks:
        crl = x509.load_pem_x509_crl(block)
        issuer = crl.issuer.rfc4514_string()
        next_update = crl.next_update_utc
        if next_update is None:
            continue
        if now >= next_update:
            warnings.append(f"client CRL of {issuer} lapsed on {next_update:%Y-%m-%d %H:%M} UTC: clients are refused")
        elif (next_update - now).total_seconds() <= CRL_WARNING_DAYS * 86400:
            warnings.append(f"client CRL of {issuer} lapses on {next_update:%Y-%m-%d %H:%M} UTC")
    return warnings


def tls_warnings(tls: TlsSettings, summary: CertSummary | None, now: dt.datetime) -> list[str]:
    warnings = []
    if summary is not None and (warning := expiry_warning(summary, now)):
        warnings.append(warning)
    if tls.client_crl_file:
        warnings.extend(crl_warnings(Path(tls.client_crl_file), now))
    return warnings
