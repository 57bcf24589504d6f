"""The Containerfile's runtime stage as data, and a directory laid out like the image's filesystem.

Used by scripts/container-smoke, which proves the runtime contract without a container engine.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


class SmokeFailure(Exception):
    pass


# -- Containerfile ------------------------------------------------------------------------------


@dataclass
class Image:
    env: dict[str, str] = field(default_factory=dict)
    user: tuple[int, int] = (0, 0)
    workdir: str = "/"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _exec_form(rest: str, what: str) -> list[str]:
    if not rest.startswith("["):
        raise SmokeFailure(f"{what} must be in exec form (a JSON array), not shell form: {rest}")
    value = json.loads(rest)
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise SmokeFailure(f"{what} is not a JSON array of strings")
    return value


def parse_containerfile(path: Path) -> Image:
    instructions = _instructions(path.read_text(encoding="utf-8"))
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    image = Image()
    for word, rest in instructions[last_from + 1 :]:
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                image.env[key] = value
        elif word == "USER":
            uid, _, gid = rest.partition(":")
            if not uid.isdigit() or (gid and not gid.isdigit()):
                raise SmokeFailure(f"USER must be numeric (uid:gid), not {rest!r}")
            image.user = (int(uid), int(gid or uid))
        elif word == "WORKDIR":
            image.workdir = rest
        elif word == "ENTRYPOINT":
            image.entrypoint = _exec_form(rest, "ENTRYPOINT")
        elif word == "CMD":
            image.cmd = _exec_form(rest, "CMD")
        elif word == "HEALTHCHECK":
            _, _, command = rest.partition("CMD ")
            image.healthcheck = _exec_form(command.strip(), "HEALTHCHECK")
        elif word == "COPY" and "--from=" not in rest:
            src, dst = shlex.split(rest)
            image.copies.append((src, dst))
        elif word == "VOLUME":
            image.volumes = _exec_form(rest, "VOLUME")
    if image.user[0] == 0:
        raise SmokeFailure("the runtime stage must set a non-root USER")
    if not image.entrypoint or not image.healthcheck:
        raise SmokeFailure("the runtime stage needs ENTRYPOINT and HEALTHCHECK")
    return image


# -- the sandbox standing in for the container's filesystem --------------------------------------


@dataclass
class Sandbox:
    base: Path
    image: Image

    def __post_init__(self) -> None:
        self.app = self.base / "opt" / "attunio"
        self.etc = self.base / "etc" / "attunio"
        self.secrets = self.base / "run" / "secrets"
        self.data = self.base / "var" / "lib" / "attunio"
        self.tmp = self.base / "tmp"
        self.home = self.base / "home"
        self.cwd = self.base / "cwd"
        self.inject = self.base / "inject"
        # Container path -> sandbox path; longest prefix first.
        self.mapping = {
            "/opt/attunio": self.app,
            "/etc/attunio": self.etc,
            "/run/secrets": self.secrets,
            "/var/lib/attunio": self.data,
            "/tmp": self.tmp,  # noqa: S108 - the image's /tmp, mapped into the sandbox
        }

    def map_path(self, value: str) -> str:
        for prefix in sorted(self.mapping, key=len, reverse=True):
            if value == prefix or value.startswith(prefix + "/"):
                return str(self.mapping[prefix]) + value[len(prefix) :]
        return value

    def map_value(self, value: str) -> str:
        """Map every absolute path in a value, including each entry of a PATH-like list."""
        if ":" in value and value.startswith("/"):
            return ":".join(self.map_path(part) for part in value.split(":"))
        return self.map_path(value)

    @property
    def watched(self) -> list[Path]:
        return [self.app, self.etc, self.secrets, self.home, self.cwd]

    @property
    def allowed(self) -> list[Path]:
        return [self.data, self.tmp]
