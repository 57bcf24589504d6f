"""The OpenAPI document: valid OpenAPI 3.1, every operation and field described with an example,
every example valid against its own schema, every status and header the appliance answers with
documented, under the names the code uses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from litestar.testing import TestClient
from openapi_spec_validator import validate
from tests.conftest import Keys

from attunio.api.admission import GRACE_HEADER, LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER
from attunio.api.openapi import ERRORS, build_openapi
from attunio.engines import ENGINES
from attunio.errors import STATUS_FOR_CODE

DOC = build_openapi()
SCHEMAS = DOC["components"]["schemas"]


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def check(example: Any, schema: dict[str, Any], where: str) -> None:
    validator = Draft202012Validator({"allOf": [schema], "components": DOC["components"]})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example)]
    assert not errors, f"{where}: {errors}"


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(DOC)
    assert DOC["openapi"] == "3.1.0"


def test_every_field_has_a_description_and_an_example_valid_for_it() -> None:
    missing = []
    for name, schema in SCHEMAS.items():
        for field, prop in schema.get("properties", {}).items():
            if not prop.get("description") or not prop.get("examples"):
                missing.append(f"{name}.{field}")
                continue
            for example in prop["examples"]:
                check(example, prop, f"{name}.{field}")
    assert not missing, f"add a description and an example in api/openapi_text.py for: {missing}"


def test_every_operation_is_described_with_valid_examples() -> None:
    for method, path, operation in operations():
        where = f"{method.upper()} {path}"
        assert operation["summary"] and operation["description"] and operation["tags"], where
        assert operation["operationId"], where
        if "requestBody" in operation:
            media = operation["requestBody"]["content"]["application/json"]
            check(media["example"], media["schema"], f"{where} request")
        for status, response in operation["responses"].items():
            assert response["description"], (where, status)
            assert response["headers"]["Request-Id"]["required"] is True, (where, status)
            media = response["content"]["application/json"]
            if "example" in media:
                check(media["example"], media["schema"], f"{where} {status}")
            elif path != "/v1/openapi.json":
                pytest.fail(f"{where} {status} has no example")


def test_the_health_endpoints_and_every_engine_are_in_it() -> None:
    assert {"/healthz", "/readyz", "/v1/ping", "/v1/openapi.json", *(s.path for s in ENGINES.values())} == set(
        DOC["paths"])
    assert set(DOC["paths"]["/readyz"]["get"]["responses"]) >= {"200", "503"}
    assert DOC["paths"]["/healthz"]["get"]["security"] == []


def test_every_status_and_header_of_an_engine_is_documented_under_the_codes_names() -> None:
    for spec in ENGINES.values():
        responses = DOC["paths"][spec.path]["post"]["responses"]
        assert set(responses) == {"200", "400", "401", "402", "403", "405", "413", "415", "429", "500"}
        for status, response in responses.items():
            if status != "200":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert set(responses["200"]["headers"]) == {"Request-Id", LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER,
                                                     GRACE_HEADER}
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
        assert responses["405"]["headers"]["Allow"]["required"] is True
        assert "WWW-Authenticate" in responses["401"]["headers"]


def test_an_engines_answer_example_is_its_own_answer() -> None:
    example = DOC["paths"]["/v1/relapse/predict"]["post"]["responses"]["200"]["content"]["application/json"]["example"]
    assert example["data"]["object"] == "relapse.prediction"
    assert example["data"]["generatedAt"] == "2026-06-28T15:04:05.000Z"
    assert example["data"]["model"] == {"key": "relapse_risk", "version": None, "source": "default"}


def test_what_the_appliance_answers_is_what_the_document_says(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    """Real answers, in process: each status is documented for its operation, each documented
    header it carries is named as documented, and each body validates against the documented schema."""
    key = keys.issue()
    served = client.get("/v1/openapi.json").json()
    assert served == json.loads(json.dumps(DOC))
    cases = [("post", "/v1/dmse/analyze", {"Authorization": f"Bearer {key}"}, {"responseLatencySeconds": 2.6}),
             ("post", "/v1/dmse/analyze", {"Authorization": f"Bearer {key}"}, {"responseLatencySeconds": 999}),
             ("post", "/v1/outcome/score", {}, {}),
             ("get", "/v1/ping", {"Authorization": f"Bearer {key}"}, None),
             ("get", "/healthz", {}, None), ("get", "/readyz", {}, None)]
    for method, path, headers, body in cases:
        answer = client.request(method.upper(), path, headers=headers, json=body)
        documented = DOC["paths"][path][method]["responses"][str(answer.status_code)]
        check(answer.json(), documented["content"]["application/json"]["schema"], f"{method} {path}")
        for name in documented["headers"]:
            if documented["headers"][name]["required"]:
                assert name.lower() in answer.headers, (path, name)
        if path == "/v1/dmse/analyze" and answer.status_code == 200:
            assert {LIMIT_HEADER.lower(), REMAINING_HEADER.lower(), RESET_HEADER.lower()} <= set(answer.headers)


def test_each_documented_error_example_is_a_code_of_the_one_table_with_its_status() -> None:
    """`errors.ERROR_CODES` is the table; the document's per-status examples may not invent a code."""
    for status, (_, code, _, _) in ERRORS.items():
        assert STATUS_FOR_CODE[code] == status, (status, code)
