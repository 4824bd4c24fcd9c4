"""The OpenAPI document is valid, names every schema, and every operation rejects bad input in the error shape."""

import re

import pytest
from openapi_spec_validator import validate

SHAPE = {"status", "code", "message", "errors"}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_document_validates(spec):
    validate(spec)


def test_every_schema_is_named_and_referenced(spec):
    text = str(spec["paths"])
    assert "'type': 'object', 'properties'" not in text, "inline (unnamed) schema in a path"
    assert (
        spec["components"]["schemas"]["Error"]["required"] == sorted(SHAPE)
        or set(spec["components"]["schemas"]["Error"]["required"]) == SHAPE
    )


def test_every_operation_documents_a_summary(spec):
    for path, method, operation in operations(spec):
        assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_docs_page_works_offline(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "//cdn" not in page and "https://" not in page
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert client.get(asset).status_code == 200, asset


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "zz-missing", path)


def test_every_operation_rejects_bad_input_with_the_error_shape(client, spec, auth, demo):
    """Bodies that are not JSON objects, unknown fields and unknown path keys all get the error shape."""
    headers = auth("admin")
    for path, method, operation in operations(spec):
        url = _fill(path)
        call = getattr(client, method)
        if "requestBody" in operation:
            content = operation["requestBody"]["content"]
            if "application/json" in content:
                bad = call(url, data="{oops", content_type="application/json", headers=headers)
                assert bad.status_code in (400, 401, 403, 404, 422), (method, path, bad.status_code)
                assert set(bad.get_json()) == SHAPE, (method, path)
                bad = call(url, json={"definitely_not_a_field": 1}, headers=headers)
                assert 400 <= bad.status_code < 500, (method, path, bad.status_code)
                assert set(bad.get_json()) == SHAPE, (method, path)
        if "{" in path:
            missing = call(url, headers=headers)
            assert 400 <= missing.status_code < 500, (method, path, missing.status_code)
            assert set(missing.get_json()) == SHAPE, (method, path)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query":
                bad = client.get(f"{url}?{parameter['name']}=%00%ff-not-valid&page_size=-1", headers=headers)
                assert bad.status_code < 500, (method, path, parameter["name"])


REPORTING_PATHS = (
    "/api/v1/consultations/{slug}/aggregates",
    "/api/v1/consultations/{slug}/quotes",
    "/api/v1/consultations/{slug}/exports/responses",
    "/api/v1/consultations/{slug}/exports/aggregates",
    "/api/v1/consultations/{slug}/themes/discover/{job_id}",
    "/api/v1/consultations/{slug}/campaigns",
)


def test_figures_are_documented_under_reporting_and_coding_under_analysis(spec):
    tags = {(path, method): operation["tags"] for path, method, operation in operations(spec)}
    for path in REPORTING_PATHS:
        assert tags[(path, "get")] == ["reporting"], path
    assert tags[("/api/v1/consultations/{slug}/codebook", "get")] == ["analysis"]
    assert tags[("/api/v1/responses/{reference}/coding", "put")] == ["analysis"]
    assert "reporting" in {tag["name"] for tag in spec["tags"]}


def test_every_operation_that_needs_a_token_names_the_roles_it_admits(spec, client, auth, demo):
    """The decorator that checks a role is the one that documents it: the document and the check agree."""
    from consultation.accounts.permissions import ROLES

    secured = [(path, method, operation) for path, method, operation in operations(spec) if "security" in operation]
    assert len(secured) >= 40
    for path, method, operation in secured:
        if operation["security"] != [{"bearerAuth": []}]:
            continue
        roles = operation.get("x-roles")
        assert roles and set(roles) <= set(ROLES), f"{method.upper()} {path}: {roles}"
    codebook = next(op for path, method, op in secured if path.endswith("/codebook") and method == "put")
    assert set(codebook["x-roles"]) == {"admin", "reviewer"}
    refused = client.put("/api/v1/consultations/police-2017/codebook", json={}, headers=auth("organiser"))
    assert refused.status_code == 403
