"""config/attunio.toml is the shipped defaults, all of them: every setting in config.py appears in
it with its default value, and nothing else does."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec
import pytest

from attunio.config import ConfigError, Settings, load_settings, setting_names

CONFIG = Path(__file__).resolve().parents[1] / "config" / "attunio.toml"


def test_the_shipped_file_holds_every_setting_at_its_default() -> None:
    shipped = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    defaults = msgspec.to_builtins(Settings())
    assert shipped == defaults
    assert [f"{s}.{f}" for s in shipped for f in shipped[s]] == setting_names()


def test_metrics_are_never_served_without_a_token_or_client_certificates() -> None:
    base = {"ATTUNIO_METRICS_ENABLED": "true"}
    with pytest.raises(ConfigError, match=r"metrics\.token_file: required"):
        load_settings(CONFIG, base)
    with pytest.raises(ConfigError, match=r"\"mtls\" needs tls\.enabled and tls\.client_ca_file"):
        load_settings(CONFIG, {**base, "ATTUNIO_METRICS_AUTH": "mtls"})
    assert load_settings(CONFIG, {**base, "ATTUNIO_METRICS_AUTH": "mtls",
                                  "ATTUNIO_TLS_CLIENT_CA_FILE": "/etc/attunio/clients.pem"}).metrics.auth == "mtls"
    assert load_settings(CONFIG, {**base, "ATTUNIO_METRICS_TOKEN_FILE": "/etc/attunio/metrics.token"}).metrics.enabled
