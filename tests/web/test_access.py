"""Isolation: every route that takes an object id refuses another user's object (404)."""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.testclient import TestClient

from immunotwin.web import WebSettings, create_app
from tests.web.conftest import FAST_HASHING, bearer, browser_login, register, small_demo_spec

# (method, path template, kind of object) for every route with an id in its path
API_ROUTES = [
    ("GET", "/api/jobs/{job_id}", "trial"),
    ("POST", "/api/jobs/{job_id}/cancel", "trial"),
    ("DELETE", "/api/jobs/{job_id}", "trial"),
    ("GET", "/api/jobs/{job_id}/files/{name}", "trial"),
    ("GET", "/api/trials/{job_id}/summary", "trial"),
    ("GET", "/api/trials/{job_id}/plots", "trial"),
    ("GET", "/api/trials/{job_id}/economics", "trial"),
    ("GET", "/api/neoantigens/{job_id}/epitopes", "neoantigens"),
    ("DELETE", "/api/auth/tokens/{token_id}", "token"),
]
PAGE_ROUTES = [
    ("GET", "/jobs/{job_id}", "trial"),
    ("GET", "/trials/new?copy={job_id}", "trial"),
    ("POST", "/jobs/{job_id}/cancel", "trial"),
    ("POST", "/jobs/{job_id}/delete", "trial"),
    ("POST", "/account/tokens/{token_id}/delete", "token"),
]


_names = itertools.count()


@pytest.fixture(scope="module")
def two_users(tmp_path_factory):
    """Owner 'alice' with a queued trial, a queued neoantigen job and a token; intruder 'mallory'.

    Module-scoped: the tests below only try to read or change alice's objects, and check that
    they are untouched.
    """
    settings = WebSettings(
        data_dir=tmp_path_factory.mktemp("access"), run_jobs=False, **FAST_HASHING
    )
    with TestClient(create_app(settings)) as c:
        alice = register(c, "alice")
        mallory = register(c, "mallory")
        trial = c.post("/api/trials", json=small_demo_spec(), headers=bearer(alice)).json()
        neo = c.post(
            "/api/neoantigens",
            files={"vcf": ("a.vcf", b"##fileformat=VCFv4.2\n")},
            data={"hla": "HLA-A*02:01"},
            headers=bearer(alice),
        ).json()
        token_id = c.get("/api/auth/tokens", headers=bearer(alice)).json()[0]["id"]
        ids = {"trial": trial["id"], "neoantigens": neo["id"], "token": token_id}
        yield c, alice, mallory, ids


def _fill(path: str, ids: dict, kind: str) -> str:
    return path.format(
        job_id=ids.get(kind, ids["trial"]), token_id=ids["token"], name="summary.json"
    )


def test_every_id_route_is_covered(make_app):
    app = make_app()
    covered = {re.sub(r"\?.*", "", p) for _, p, _ in API_ROUTES + PAGE_ROUTES}
    for route in app.routes:
        path = getattr(route, "path", "")
        if "{" in path and not path.startswith("/static"):
            assert path in covered, f"{path} has no access-control test"


@pytest.mark.parametrize(("method", "path", "kind"), API_ROUTES)
def test_api_refuses_other_users_objects(two_users, method, path, kind):
    c, alice, mallory, ids = two_users
    url = _fill(path, ids, kind)
    r = c.request(method, url, headers=bearer(mallory))
    assert r.status_code == 404, (url, r.status_code, r.text)
    assert c.request(method, url).status_code == 401  # and nothing without credentials
    if method == "GET":  # the owner is not refused (409: not finished yet, or 200)
        assert c.get(url, headers=bearer(alice)).status_code in (200, 409)
    # the object is untouched
    if kind != "token":
        job = c.get(f"/api/jobs/{ids[kind]}", headers=bearer(alice)).json()
        assert job["status"] == "queued"


@pytest.mark.parametrize(("method", "path", "kind"), PAGE_ROUTES)
def test_pages_refuse_other_users_objects(two_users, method, path, kind):
    c, alice, _, ids = two_users
    csrf = browser_login(c, f"mallory{next(_names)}")
    url = _fill(path, ids, kind)
    r = c.request(method, url, data={"csrf_token": csrf} if method == "POST" else None)
    assert r.status_code == 404, (url, r.status_code)
    assert c.get(f"/api/jobs/{ids['trial']}", headers=bearer(alice)).json()["status"] == "queued"
    assert len(c.get("/api/auth/tokens", headers=bearer(alice)).json()) == 1


def test_listings_show_only_own_objects(two_users):
    c, alice, mallory, ids = two_users
    assert {j["id"] for j in c.get("/api/jobs", headers=bearer(alice)).json()} == {
        ids["trial"],
        ids["neoantigens"],
    }
    assert c.get("/api/jobs", headers=bearer(mallory)).json() == []
    assert len(c.get("/api/auth/tokens", headers=bearer(mallory)).json()) == 1
    browser_login(c, f"mallory{next(_names)}")
    page = c.get("/")
    assert f'href="/jobs/{ids["trial"]}"' not in page.text


def test_pages_require_login(client):
    for path in ("/", "/trials/new", "/neoantigens", "/account", "/jobs/1"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
