"""The image's SBOM: cyclonedx-py's BOM of the runtime venv plus the runtime's Debian packages.

    python sbom.py PYTHON_BOM.json DPKG_STATUS OUT.json

Runs in the build stage's tools venv (cyclonedx-bom and python-debian, pinned in
requirements-dev.lock). The Debian packages are read from the runtime stage's dpkg status file
and listed with Package URLs (pkg:deb/debian/NAME@VERSION?arch=...&distro=debian-N), the form
vulnerability scanners match against Debian's security tracker. The result is validated against
the CycloneDX 1.6 JSON schema before it is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from debian.deb822 import Deb822
from packageurl import PackageURL

SCHEMA = SchemaVersion.V1_6


def installed_packages(status: Path) -> list[Deb822]:
    with status.open(encoding="utf-8") as handle:
        return [p for p in Deb822.iter_paragraphs(handle) if p.get("Status", "").endswith(" installed")]


def debian_components(packages: list[Deb822]) -> tuple[Component, list[Component]]:
    base_files = next(p for p in packages if p["Package"] == "base-files")
    release = base_files["Version"].split(".", 1)[0]
    distro = f"debian-{release}"
    system = Component(
        type=ComponentType.OPERATING_SYSTEM,
        name="debian",
        version=base_files["Version"],
        bom_ref=f"os:debian@{base_files['Version']}",
    )
    components = []
    for package in sorted(packages, key=lambda p: p["Package"]):
        arch = package.get("Architecture", "all")
        purl = PackageURL(
            type="deb",
            namespace="debian",
            name=package["Package"],
            version=package["Version"],
            qualifiers={"arch": arch, "distro": distro},
        )
        components.append(
            Component(
                type=ComponentType.LIBRARY,
                name=package["Package"],
                version=package["Version"],
                purl=purl,
                bom_ref=purl.to_string(),
                description=package.get("Description", "").split("\n", 1)[0] or None,
            )
        )
    return system, components


def build(python_bom: Path, status: Path) -> str:
    bom = Bom.from_json(json.loads(python_bom.read_text(encoding="utf-8")))  # type: ignore[attr-defined]
    system, packages = debian_components(installed_packages(status))
    bom.components.add(system)
    bom.components.update(packages)
    bom.register_dependency(system, packages)
    if bom.metadata.component is not None:
        bom.register_dependency(bom.metadata.component, [system])
    text = make_outputter(bom, OutputFormat.JSON, SCHEMA).output_as_string(indent=2)
    error = JsonStrictValidator(SCHEMA).validate_str(text)
    if error is not None:
        raise SystemExit(f"the SBOM does not validate against CycloneDX {SCHEMA.to_version()}: {error}")
    return text


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    python_bom, status, out = (Path(arg) for arg in argv)
    Path(out).write_text(build(python_bom, status) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
