"""Fixtures for the web tests: apps on temporary data dirs, users, one finished small trial."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi, sqlalchemy, ...) is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from immunotwin.web import WebSettings, create_app  # noqa: E402

SMALL_TRIAL = {"patients_per_arm": 20, "follow_up_months": 12}
HLA = "HLA-A*02:01,HLA-B*07:02,HLA-C*07:02"
PASSWORD = "correct horse battery"
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024}
"""Cheap argon2id parameters for tests only (the defaults cost ~0.1-0.2 s per hash)."""


def repo_root() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").exists():
            return parent
    raise RuntimeError("pyproject.toml not found above the tests")


def shared_data_path(*parts: str) -> Path:
    root = repo_root()
    env = os.environ.get("IMMUNOTWIN_SHARED_DATA")
    for base in ([Path(env)] if env else []) + [
        root.parent / "shared" / "data",
        root.parent.parent / "shared" / "data",
    ]:
        if base.joinpath(*parts).exists():
            return base.joinpath(*parts)
    pytest.skip(f"shared test data {'/'.join(parts)} not found (clone ../shared beside the repo)")


def small_demo_spec() -> dict:
    from immunotwin.demo import demo_spec

    return demo_spec().model_copy(update=SMALL_TRIAL).model_dump(mode="json")


def register(client: TestClient, username: str) -> str:
    """Create a user through the API and return a bearer token for it."""
    r = client.post("/api/auth/register", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = client.post("/api/auth/tokens", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def browser_login(client: TestClient, username: str) -> str:
    """Register through the HTML form (cookie session); return the session's CSRF token."""
    page = client.get("/register")
    anon = page.cookies.get("immunotwin_csrf") or client.cookies.get("immunotwin_csrf")
    r = client.post(
        "/register",
        data={"username": username, "password": PASSWORD, "csrf_token": anon},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    home = client.get("/")
    marker = 'name="csrf-token" content="'
    return home.text.split(marker, 1)[1].split('"', 1)[0]


def wait_for(client: TestClient, job_id: int, token: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=bearer(token)).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s: {job}")


@pytest.fixture
def make_app(tmp_path):
    """Build an app on a fresh data dir; keyword arguments override settings."""

    def build(**overrides):
        settings = WebSettings(
            **{"data_dir": tmp_path / "data", "run_jobs": False, **FAST_HASHING, **overrides}
        )
        return create_app(settings)

    return build


@pytest.fixture
def client(make_app):
    with TestClient(make_app()) as c:
        yield c


@pytest.fixture(scope="session")
def trial_server(tmp_path_factory):
    """A running app (job workers on) with user 'owner' and one finished small demo trial.

    Session-scoped: the first trial compiles the model kernel (slow when the cache is cold).
    """
    data_dir = tmp_path_factory.mktemp("web-trial")
    app = create_app(WebSettings(data_dir=data_dir, run_jobs=True, **FAST_HASHING))
    with TestClient(app) as c:
        token = register(c, "owner")
        r = c.post("/api/trials", json=small_demo_spec(), headers=bearer(token))
        assert r.status_code == 202, r.text
        job = wait_for(c, r.json()["id"], token)
        assert job["status"] == "done", job
        yield {"client": c, "token": token, "job": job, "data_dir": data_dir, "app": app}
