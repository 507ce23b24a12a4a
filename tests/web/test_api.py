"""JSON API: accounts, tokens, spec validation, trial submission, limits and security headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, bearer, browser_login, register, small_demo_spec


def test_health_and_openapi_uses_library_models(client):
    assert client.get("/api/health").json()["status"] == "ok"
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    # the request body of POST /api/trials is the library's TrialSpec, not a copy
    body = schema["paths"]["/api/trials"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/TrialSpec")
    for name in ("TrialSpec", "Arm", "RegimenItem", "JobOut"):
        assert name in components
    assert set(components["TrialSpec"]["required"]) >= {"name", "tumor_type", "arms"}


def test_register_token_and_me(client):
    token = register(client, "alice")
    assert token.startswith("itk_")
    me = client.get("/api/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    tokens = client.get("/api/auth/tokens", headers=bearer(token)).json()
    assert len(tokens) == 1 and tokens[0]["token"] is None  # never shown again
    dup = client.post("/api/auth/register", json={"username": "alice", "password": PASSWORD})
    assert dup.status_code == 422 and dup.json()["detail"]["location"] == "username"


def test_passwords_are_argon2_hashed(client):
    from immunotwin.web.db import User

    register(client, "alice")
    with client.app.state.sessions() as db:
        user = db.query(User).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_bad_credentials_and_tokens_are_refused(client):
    register(client, "alice")
    wrong = client.post("/api/auth/tokens", json={"username": "alice", "password": "wrong-pass"})
    assert wrong.status_code == 401
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=bearer("itk_forged")).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_token_stops_working(client):
    token = register(client, "alice")
    tid = client.get("/api/auth/tokens", headers=bearer(token)).json()[0]["id"]
    assert client.delete(f"/api/auth/tokens/{tid}", headers=bearer(token)).status_code == 204
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_login_rate_limit(make_app):
    with TestClient(make_app(login_max_failures=3, login_window_s=60)) as c:
        register(c, "alice")
        for _ in range(3):
            r = c.post("/api/auth/tokens", json={"username": "alice", "password": "bad-password"})
            assert r.status_code == 401
        r = c.post("/api/auth/tokens", json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        # the client address is limited too: another user name from the same client is refused
        r = c.post("/api/auth/tokens", json={"username": "bob", "password": "bad-password"})
        assert r.status_code == 429


def test_spec_validation_names_line_field_and_fix(client):
    token = register(client, "alice")
    from immunotwin.web.store import demo_yaml

    ok = client.post("/api/specs/validate", json={"yaml": demo_yaml()}, headers=bearer(token))
    assert ok.json()["valid"] is True and ok.json()["spec"]["tumor_type"] == "nsclc"
    bad_text = demo_yaml().replace("drug: pembrolizumab", "drug: pembrolizumob")
    bad = client.post("/api/specs/validate", json={"yaml": bad_text}, headers=bearer(token)).json()
    assert bad["valid"] is False
    (problem,) = bad["problems"]
    line = next(i for i, t in enumerate(bad_text.splitlines(), 1) if "pembrolizumob" in t)
    assert problem["line"] == line
    assert "pembrolizumob" in problem["message"] and "pembrolizumab" in problem["fix"]
    syntax = client.post(
        "/api/specs/validate", json={"yaml": "name: [unclosed\n"}, headers=bearer(token)
    ).json()
    assert syntax["valid"] is False and syntax["problems"][0]["message"].startswith("invalid YAML")


def test_trial_submission_checks_spec_and_size(make_app):
    with TestClient(make_app(max_patients_per_arm=50)) as c:
        token = register(c, "alice")
        spec = small_demo_spec()
        spec["arms"][0]["regimen"][0]["drug"] = "not_a_drug"
        r = c.post("/api/trials", json=spec, headers=bearer(token))
        assert r.status_code == 422 and "not_a_drug" in r.json()["detail"]["message"]
        big = {**small_demo_spec(), "patients_per_arm": 51}
        r = c.post("/api/trials", json=big, headers=bearer(token))
        assert r.status_code == 422 and r.json()["detail"]["location"] == "patients_per_arm"
        r = c.post("/api/trials", json={**small_demo_spec(), "extra": 1}, headers=bearer(token))
        assert r.status_code == 422
        r = c.post("/api/trials", json=small_demo_spec(), headers=bearer(token))
        assert r.status_code == 202 and r.json()["status"] == "queued"


def test_cookie_session_needs_csrf_header_for_api_writes(client):
    csrf = browser_login(client, "alice")
    r = client.post("/api/trials", json=small_demo_spec())
    assert r.status_code == 403
    r = client.post("/api/trials", json=small_demo_spec(), headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    r = client.post("/api/trials", json=small_demo_spec(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 202
    # reads need no CSRF token
    assert client.get("/api/jobs").status_code == 200


def test_forms_need_csrf_tokens(client):
    page = client.get("/login")
    assert page.status_code == 200
    r = client.post("/login", data={"username": "x", "password": "y" * 8}, follow_redirects=False)
    assert r.status_code == 403
    csrf = browser_login(client, "alice")
    r = client.post("/trials", data={"spec_yaml": "name: x"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303  # logged out


def test_cookie_flags(make_app):
    for secure in (False, True):
        with TestClient(make_app(secure_cookies=secure), base_url="https://testserver") as c:
            c.get("/register")
            anon = c.cookies.get("immunotwin_csrf")
            r = c.post(
                "/register",
                data={"username": f"user{int(secure)}", "password": PASSWORD, "csrf_token": anon},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            cookie = r.headers["set-cookie"]
            assert "immunotwin_session=" in cookie
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie
            assert ("Secure" in cookie) is secure


def test_login_redirect_stays_on_site(client):
    browser_login(client, "alice")
    client.cookies.delete("immunotwin_session")
    client.get("/login")
    anon = client.cookies.get("immunotwin_csrf")
    for target, expected in (("//evil.example/x", "/"), ("/catalog", "/catalog")):
        r = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": anon, "next": target},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == expected


def test_upload_size_limit(make_app):
    with TestClient(make_app(max_upload_bytes=2048)) as c:
        token = register(c, "alice")
        big = b"#" * 200_000
        r = c.post(
            "/api/neoantigens",
            files={"vcf": ("x.vcf", big)},
            data={"hla": "HLA-A*02:01"},
            headers=bearer(token),
        )
        assert r.status_code == 413
        medium = b"#" * 4000  # over the file limit, under the request limit (+64 KiB)
        r = c.post(
            "/api/neoantigens",
            files={"vcf": ("x.vcf", medium)},
            data={"hla": "HLA-A*02:01"},
            headers=bearer(token),
        )
        assert r.status_code == 413


def test_security_headers(client):
    r = client.get("/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_catalogue_and_validation(client):
    from immunotwin.therapies.catalog import load_drug_catalog

    drugs = client.get("/api/catalog/drugs").json()
    assert drugs["count"] == len(load_drug_catalog())
    assert any(r["key"] == "pembrolizumab" and r["sources"] for r in drugs["rows"])
    params = client.get("/api/catalog/parameters").json()
    assert params["count"] > 50 and all("source" in r for r in params["rows"])
    tumors = client.get("/api/catalog/tumors").json()
    assert any(r["key"] == "nsclc" for r in tumors["rows"])
    page = client.get("/catalog?tab=parameters")
    assert "antipd1_cl" in page.text


def test_validation_dashboard_reads_csv_or_says_none(make_app, tmp_path):
    empty = tmp_path / "none.csv"
    with TestClient(make_app(validation_path=empty)) as c:
        v = c.get("/api/validation").json()
        assert v["available"] is False and "No validation run" in v["message"]
        assert "No validation run exists yet" in c.get("/validation").text
    csv = tmp_path / "validation.csv"
    csv.write_text("trial,arm,endpoint,published,simulated\nKN-024,pembro,ORR,0.45,0.41\n")
    with TestClient(make_app(validation_path=csv)) as c:
        v = c.get("/api/validation").json()
        assert v["available"] and v["rows"] == [["KN-024", "pembro", "ORR", 0.45, 0.41]]
        assert "KN-024" in c.get("/validation").text


def test_twin_page_needs_an_account(client):
    page = client.get("/twin", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
