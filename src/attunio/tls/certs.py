"""Self-signed certificate and certificate signing request for a fresh appliance.

Hospital IT either mounts a certificate from its own CA (tls.cert_file/tls.key_file) or lets
`attunio init` make a self-signed one here, together with a CSR for the same key and names that
it can take to that CA later. ECDSA P-256: small, fast handshakes, accepted by every TLS 1.2+
client and by hospital CAs that sign CSRs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from attunio.config import TlsSettings
from attunio.tls.context import CSR_NAME, SELF_SIGNED_CERT, SELF_SIGNED_KEY, TlsError, self_signed_dir

# A self-signed certificate is trusted by explicit pinning (curl --cacert, an EHR trust store),
# so its lifetime is about how often IT must re-pin it. 397 days is the longest lifetime that
# current browsers accept for a server certificate, so it also works if a person opens it.
SELF_SIGNED_DAYS = 397
ORGANIZATION = "Attunio Appliance"


@dataclass(frozen=True)
class Names:
    """The DNS names and IP addresses a certificate is for; always includes localhost."""

    dns: tuple[str, ...]
    ips: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]

    @property
    def common_name(self) -> str:
        return self.dns[0]

    def subject_alt_names(self) -> x509.SubjectAlternativeName:
        general: list[x509.GeneralName] = [x509.DNSName(name) for name in self.dns]
        general.extend(x509.IPAddress(ip) for ip in self.ips)
        return x509.SubjectAlternativeName(general)


def names_from(hostnames: Iterable[str], ip_addresses: Iterable[str]) -> Names:
    dns: list[str] = []
    for name in [*hostnames, "localhost"]:
        clean = name.strip().lower().rstrip(".")
        if not clean:
            continue
        try:
            clean.encode("ascii")
        except UnicodeEncodeError:
            raise TlsError(f"tls.hostnames: {name!r} must be an ASCII (punycode) DNS name") from None
        if clean not in dns:
            dns.append(clean)
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for raw in [*ip_addresses, "127.0.0.1", "::1"]:
        try:
            ip = ipaddress.ip_address(raw.strip())
        except ValueError:
            raise TlsError(f"tls.ip_addresses: {raw!r} is not an IP address") from None
        if ip not in ips:
            ips.append(ip)
    return Names(dns=tuple(dns), ips=tuple(ips))


def _subject(names: Names) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, names.common_name),
        ]
    )


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def self_signed_certificate(
    key: ec.EllipticCurvePrivateKey, names: Names, now: dt.datetime, days: int = SELF_SIGNED_DAYS
) -> x509.Certificate:
    subject = _subject(names)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        # A little back-dating absorbs clock skew between the appliance and its callers.
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(names.subject_alt_names(), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def signing_request(key: ec.EllipticCurvePrivateKey, names: Names) -> x509.CertificateSigningRequest:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_subject(names))
        .add_extension(names.subject_alt_names(), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_private(path: Path, data: bytes) -> None:
    """Create a key file readable by its owner only; refuse to overwrite an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Issued:
    cert_file: Path
    key_file: Path
    csr_file: Path
    created: bool


def ensure_self_signed(tls: TlsSettings, data_dir: Path, now: dt.datetime) -> Issued | None:
    """What `attunio init` does for TLS: nothing when a certificate is configured or already made.

    Returns None when tls.cert_file is configured (hospital CA certificate in use).
    """
    if tls.cert_file:
        return None
    directory = self_signed_dir(data_dir)
    issued = Issued(
        cert_file=directory / SELF_SIGNED_CERT,
        key_file=directory / SELF_SIGNED_KEY,
        csr_file=directory / CSR_NAME,
        created=False,
    )
    if issued.cert_file.exists() and issued.key_file.exists():
        return issued
    names = names_from(tls.hostnames, tls.ip_addresses)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    key = new_key()
    # A half-written pair from an interrupted init is replaced as a whole.
    for stale in (issued.key_file, issued.cert_file, issued.csr_file):
        stale.unlink(missing_ok=True)
    write_private(issued.key_file, private_key_pem(key))
    write_public(issued.csr_file, signing_request(key, names).public_bytes(serialization.Encoding.PEM))
    cert = self_signed_certificate(key, names, now)
    write_public(issued.cert_file, cert.public_bytes(serialization.Encoding.PEM))
    return Issued(issued.cert_file, issued.key_file, issued.csr_file, created=True)
