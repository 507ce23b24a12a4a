"""Property-based API tests from the OpenAPI schema: no request the schema allows gives a 500.

Every operation in ``/api/openapi.json`` gets a few generated requests (bounded to keep the
suite fast), sent with a valid bearer token so the authenticated code paths run. Job workers
are off, so queued trials are never simulated.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from immunotwin.web import WebSettings, create_app  # noqa: E402
from tests.web.conftest import FAST_HASHING, PASSWORD, register  # noqa: E402

MAX_EXAMPLES = 6


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    settings = WebSettings(
        data_dir=tmp_path_factory.mktemp("schemathesis"),
        run_jobs=False,
        login_max_failures=100_000,  # generated logins fail; the limiter is tested elsewhere
        **FAST_HASHING,
    )
    app = create_app(settings)
    client = TestClient(app)
    register(client, "fuzzer")
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = {op.ok().label: op.ok() for op in schema.get_all_operations()}
    return client, operations


def test_schema_lists_the_api(api):
    _, operations = api
    assert {"POST /api/trials", "GET /api/jobs/{job_id}", "POST /api/neoantigens"} <= set(
        operations
    )


def test_no_server_errors(api):
    client, operations = api
    failures: list = []
    statuses: dict[str, set[int]] = {}
    for label, operation in sorted(operations.items()):
        # a fresh token each time: DELETE /api/auth/tokens/{id} may revoke the previous one
        token = client.post(
            "/api/auth/tokens", json={"username": "fuzzer", "password": PASSWORD}
        ).json()["token"]
        _check(operation, label, token, failures, statuses.setdefault(label, set()))
    assert not failures, failures
    assert 200 in statuses["GET /api/me"]  # the generated requests were authenticated


def _check(operation, label: str, token: str, failures: list, seen: set[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case):
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        seen.add(response.status_code)
        if response.status_code >= 500:
            failures.append((label, response.status_code, response.text[:300]))

    check()
