"""Which settings file is in force, and what its relative paths are relative to.

An operator runs `attunio` from wherever their shell happens to be; the command must still find
the same store as the server. So the file is looked for in a fixed order (the first that applies):

1. `--config FILE` or `ATTUNIO_CONFIG=FILE`: that file, which must exist;
2. `config/attunio.toml` under the current directory;
3. `config/attunio.toml` of the checkout this copy of the appliance runs from (a development
   install made by scripts/run or scripts/test);
4. `/etc/attunio/attunio.toml`;
5. none: the built-in defaults, relative to the current directory.

Relative paths written in a file are resolved against the file's base directory: the folder that
holds the `config/` folder when the file sits in one (this repository's layout: `config/`,
`data/` and `secrets/` side by side), otherwise the file's own folder. Paths given as ATTUNIO_*
variables stay relative to the current directory, as a shell user expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attunio.refusals import NotSetUp

CONFIG_ENV = "ATTUNIO_CONFIG"
CONFIG_NAME = Path("config") / "attunio.toml"
SYSTEM_CONFIG = Path("/etc/attunio/attunio.toml")
CHECKOUT = Path(__file__).resolve().parents[2]  # src/attunio/settings_file.py -> the checkout

# Settings that name files; a relative value in a file is taken relative to the file's base.
PATH_SETTINGS = {
    "paths": ("data_dir", "key_file"),
    "tls": ("cert_file", "key_file", "key_password_file", "client_ca_file", "client_crl_file"),
    "calibration": ("evaluation_dir",),
}
PATH_LIST_SETTINGS = {"trust": ("extra_vendor_keys",)}


@dataclass(frozen=True)
class SettingsSource:
    path: Path | None
    """The file in force (absolute), or None when only defaults and variables apply."""
    found_by: str
    """How it was chosen, in words for `attunio doctor` and `--help`."""

    @property
    def base(self) -> Path:
        if self.path is None:
            return Path.cwd()
        folder = self.path.parent
        return folder.parent if folder.name == "config" else folder


class MissingSettingsFile(NotSetUp):
    """The file named by --config or ATTUNIO_CONFIG does not exist."""


def find_settings_file(explicit: Path | None, environ: Mapping[str, str]) -> SettingsSource:
    named, how = (explicit, "--config") if explicit is not None else (None, "")
    if named is None and environ.get(CONFIG_ENV):
        named, how = Path(environ[CONFIG_ENV]), CONFIG_ENV
    if named is not None:
        if not named.is_file():
            raise MissingSettingsFile(f"{how} names {named}, which does not exist (or is not a file); "
                                      "check the path, or leave it out to use the default search")
        return SettingsSource(named.resolve(), how)
    candidates = (
        (Path.cwd() / CONFIG_NAME, "config/attunio.toml in the current directory"),
        (CHECKOUT / CONFIG_NAME, "config/attunio.toml of the checkout this appliance runs from"),
        (SYSTEM_CONFIG, "the system settings file"),
    )
    for candidate, found_by in candidates:
        if candidate.is_file():
            return SettingsSource(candidate.resolve(), found_by)
    return SettingsSource(None, "no settings file found: built-in defaults and ATTUNIO_* variables")


# The defaults that name files: a file that leaves them out gets them under its base too.
PATH_DEFAULTS = {"paths": {"data_dir": "data", "key_file": "secrets/store.key"}}


def resolve_relative_paths(raw: dict[str, Any], base: Path) -> None:
    """Rewrite the file's relative path settings (and the path defaults it leaves out), in place,
    as absolute paths under `base`."""
    for section, defaults in PATH_DEFAULTS.items():
        table = raw.setdefault(section, {})
        if isinstance(table, dict):
            for name, value in defaults.items():
                table.setdefault(name, value)
    def absolute(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str(base / value)
        return value

    for section, fields in PATH_SETTINGS.items():
        table = raw.get(section)
        if isinstance(table, dict):
            for name in fields:
                if name in table:
                    table[name] = absolute(table[name])
    for section, fields in PATH_LIST_SETTINGS.items():
        table = raw.get(section)
        if isinstance(table, dict):
            for name in fields:
                if isinstance(table.get(name), list):
                    table[name] = [absolute(v) for v in table[name]]
