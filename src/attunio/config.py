"""One typed settings object: config/attunio.toml, then ATTUNIO_* environment overrides.

Decoded and validated once at start-up and passed in explicitly; nothing reads the
environment at import time. A bad value stops start-up with a message naming the
setting and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from attunio.refusals import NotSetUp
from attunio.settings_file import (
    CONFIG_ENV,
    MissingSettingsFile,
    SettingsSource,
    find_settings_file,
    resolve_relative_paths,
)

ENV_PREFIX = "ATTUNIO_"

Port = Annotated[int, Meta(ge=1, le=65535)]


class PathsSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    data_dir: str = "data"
    """Directory holding the encrypted store and instance state (the only place the appliance writes)."""
    key_file: str = "secrets/store.key"
    """Raw 256-bit store key (64 hex characters). Kept outside data_dir so a copied volume is unreadable."""


class ServerSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: Port = 8443
    workers: Annotated[int, Meta(ge=1, le=64)] = 1
    max_body_bytes: Annotated[int, Meta(ge=1024, le=64 * 1024 * 1024)] = 16 * 1024 * 1024
    max_header_bytes: Annotated[int, Meta(ge=1024, le=1024 * 1024)] = 32 * 1024
    """Request line and headers together; a longer head gets 431 and the connection is closed."""
    max_headers: Annotated[int, Meta(ge=8, le=10_000)] = 100
    """Header fields in one request; more get 431."""
    header_timeout: Annotated[float, Meta(ge=0.5, le=300)] = 10.0
    """Seconds for a request head to arrive (from connect, or from its first byte on a kept-alive connection)."""
    keep_alive_timeout: Annotated[int, Meta(ge=1, le=300)] = 5
    """Seconds an idle kept-alive connection stays open between requests (uvicorn's timeout_keep_alive)."""
    max_connections: Annotated[int, Meta(ge=1, le=1_000_000)] = 512
    """Open connections per worker; past it a new connection gets 503 and a warning is logged."""
    trusted_proxies: list[str] = msgspec.field(default_factory=list)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = True


class TlsSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = True
    profile: Literal["modern", "intermediate"] = "modern"
    cert_file: str = ""
    """PEM certificate chain. Empty: the self-signed certificate made by `attunio init` in data_dir/tls."""
    key_file: str = ""
    key_password_file: str = ""
    client_ca_file: str = ""
    """PEM CA bundle. When set, clients must present a certificate signed by it (mTLS)."""
    client_crl_file: str = ""
    """PEM CRLs of the client CAs. When set, revoked client certificates are refused; re-read when it changes."""
    handshake_timeout: Annotated[float, Meta(ge=0.5, le=120)] = 10.0
    """Seconds a client has to complete the TLS handshake after connecting."""
    hostnames: list[str] = msgspec.field(default_factory=lambda: ["localhost"])
    ip_addresses: list[str] = msgspec.field(default_factory=lambda: ["127.0.0.1", "::1"])
    hsts_max_age: Annotated[int, Meta(ge=0, le=63072000)] = 31536000


class BillingSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    sandbox_daily_quota: Annotated[int, Meta(ge=1, le=10_000_000)] = 500


class TrustSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    extra_vendor_keys: list[str] = msgspec.field(default_factory=list)
    """Paths of extra trusted vendor public keys (development and tests only; announced at start-up)."""


class CalibrationSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    max_bundle_bytes: Annotated[int, Meta(ge=1024, le=16 * 1024 * 1024)] = 1024 * 1024
    evaluation_dir: str = ""
    """Local evaluation sets the admin console compares on, one `<engine>.jsonl` each. Empty:
    `<data_dir>/evaluation`."""


class StoreSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    busy_timeout_ms: Annotated[int, Meta(ge=100, le=600_000)] = 10_000
    url: str = ""
    """Empty: the SQLCipher file in data_dir. `postgresql://user@host:5432/db?sslrootcert=/path/ca.pem`:
    the shared PostgreSQL store several replicas use (docs/high-availability.md); TLS with
    `sslmode=verify-full` unless the URL names another mode. Keep the password out of it (a
    `passfile=` parameter or PGPASSFILE)."""
    pool_size: Annotated[int, Meta(ge=1, le=64)] = 4
    """Most PostgreSQL connections one worker process holds open (plus one that listens for changes)."""


class MetricsSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = False
    """Serve `GET /metrics` (Prometheus text format). Off by default: it tells whoever reads it how
    the appliance is used."""
    auth: Literal["token", "mtls"] = "token"
    """`token`: scrapers send `Authorization: Bearer <the token in token_file>`. `mtls`: no token;
    allowed only with tls.client_ca_file set, so every connection already presents a client certificate."""
    token_file: str = ""
    """File holding the scrape token (at least 32 characters, e.g. `openssl rand -hex 32`)."""


class CdsSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = ""
    """This appliance's URL as EHRs call it (`https://attunio.hospital.local:8443`): every CDS Hooks
    JWT must carry `{base_url}/cds-services...` as its `aud`. Empty: the CDS Hooks endpoints answer 503."""
    fhir_servers: list[str] = msgspec.field(default_factory=list)
    """FHIR base URLs the services may fetch missing prefetch from (exact match, no trailing slash)."""
    jwt_leeway_seconds: Annotated[int, Meta(ge=0, le=300)] = 30
    """Clock skew allowed on a CDS Hooks JWT's `exp` and `iat`."""
    max_token_lifetime_seconds: Annotated[int, Meta(ge=10, le=3600)] = 300
    """Longest `exp - iat` accepted; every `jti` is remembered until its token expires."""
    fetch_timeout_seconds: Annotated[float, Meta(gt=0, le=30)] = 3.0
    """Total time allowed for one FHIR-server or JWKS request."""
    fetch_max_bytes: Annotated[int, Meta(ge=1024, le=64 * 1024 * 1024)] = 4 * 1024 * 1024
    """Largest FHIR-server or JWKS answer read; a larger one is refused."""


class AdminSettings(Struct, kw_only=True, forbid_unknown_fields=True):
    idle_timeout_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 30
    """An admin console session unused this long is ended (server-side)."""
    absolute_timeout_hours: Annotated[int, Meta(ge=1, le=7 * 24)] = 12
    """An admin console session ends this long after sign-in, however busy."""
    signin_max_failures: Annotated[int, Meta(ge=1, le=1000)] = 5
    """Failed sign-ins from one client address within signin_window_seconds before it gets 429."""
    signin_window_seconds: Annotated[int, Meta(ge=10, le=24 * 3600)] = 900
    """The window the failures are counted over; the 429's Retry-After says when the oldest leaves it."""
    origins: list[str] = msgspec.field(default_factory=list)
    """Origins the console is opened from besides the one the request names in its Host header
    (e.g. `https://attunio.hospital.local` behind a reverse proxy that rewrites Host)."""


class Settings(Struct, kw_only=True, forbid_unknown_fields=True):
    paths: PathsSettings = msgspec.field(default_factory=PathsSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    tls: TlsSettings = msgspec.field(default_factory=TlsSettings)
    billing: BillingSettings = msgspec.field(default_factory=BillingSettings)
    trust: TrustSettings = msgspec.field(default_factory=TrustSettings)
    calibration: CalibrationSettings = msgspec.field(default_factory=CalibrationSettings)
    store: StoreSettings = msgspec.field(default_factory=StoreSettings)
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    cds: CdsSettings = msgspec.field(default_factory=CdsSettings)
    admin: AdminSettings = msgspec.field(default_factory=AdminSettings)

    @property
    def data_dir(self) -> Path:
        return Path(self.paths.data_dir)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "attunio.db"

    @property
    def evaluation_dir(self) -> Path:
        configured = self.calibration.evaluation_dir
        return Path(configured) if configured else self.data_dir / "evaluation"

    @property
    def key_file(self) -> Path:
        return Path(self.paths.key_file)


class ConfigError(NotSetUp):
    """A setting is missing, unknown or out of its allowed range."""


def setting_names() -> list[str]:
    """Every setting as `section.field`, in declaration order (the docs test uses this)."""
    names: list[str] = []
    for section in Settings.__struct_fields__:
        section_type = Settings.__annotations__[section]
        cls = globals()[section_type] if isinstance(section_type, str) else section_type
        names.extend(f"{section}.{field}" for field in cls.__struct_fields__)
    return names


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.replace(".", "_").upper()


def _parse_env_value(raw: str) -> Any:
    """Environment values are TOML literals when they parse as one (numbers, booleans, arrays)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the file in force (settings_file.py says which) and ATTUNIO_* variables."""
    return load_settings_from(settings_source(path, environ), environ)


def settings_source(path: Path | None = None, environ: Mapping[str, str] | None = None) -> SettingsSource:
    try:
        return find_settings_file(path, os.environ if environ is None else environ)
    except MissingSettingsFile as exc:
        raise ConfigError(str(exc)) from None


def load_settings_from(source: SettingsSource, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if source.path is not None:
        try:
            raw = tomllib.loads(source.path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source.path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source.path}: cannot be read ({exc.__class__.__name__})") from None
        resolve_relative_paths(raw, source.base)

    by_env = {env_name(name): name for name in setting_names()}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV:
            continue
        if key not in by_env:
            raise ConfigError(f"{key} is not a setting; see docs/operations.md for the list")
        section, field = by_env[key].split(".")
        raw.setdefault(section, {})[field] = _parse_env_value(value)

    try:
        settings = msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid setting: {_describe(exc)}") from None
    _check_metrics(settings)
    return settings


def _check_metrics(settings: Settings) -> None:
    """`/metrics` is never served without a token or client certificates in front of it."""
    metrics = settings.metrics
    if not metrics.enabled:
        return
    if metrics.auth == "token" and not metrics.token_file:
        raise ConfigError("invalid setting: metrics.token_file: required when metrics.enabled and "
                          'metrics.auth = "token"')
    if metrics.auth == "mtls" and not (settings.tls.enabled and settings.tls.client_ca_file):
        raise ConfigError('invalid setting: metrics.auth: "mtls" needs tls.enabled and tls.client_ca_file, '
                          "so that every connection presents a client certificate")


def _describe(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's `... - at `$.server.port`` into `server.port: ...` naming the setting."""
    text = str(exc)
    if " - at `$." in text:
        message, _, where = text.rpartition(" - at `$.")
        return f"{where.rstrip('`')}: {message}"
    return text
