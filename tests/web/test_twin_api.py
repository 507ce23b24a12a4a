"""The patient-twin job through the API and the page (issue #11)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from immunotwin.web import WebSettings, create_app

from .conftest import FAST_HASHING, bearer, browser_login, register, wait_for

PATIENT = {
    "id": "web-her2",
    "tumor_type": "her2_breast",
    "line": 2,
    "age_years": 52,
    "sex": "female",
    "weight_kg": 68,
    "biomarkers": {"pdl1_tps": 0.1, "target_antigens": {"her2_ihc": "3+"}},
}


def test_twin_job_ranks_regimens_and_rejects_bad_patients(tmp_path):
    app = create_app(WebSettings(data_dir=tmp_path / "data", run_jobs=True, **FAST_HASHING))
    with TestClient(app) as c:
        token = register(c, "clinician")
        bad = c.post(
            "/api/twin",
            json={"patient": {"tumor_type": "nsclc", "biomarkers": {"pdl1_tps": 80}}},
            headers=bearer(token),
        )
        assert bad.status_code == 422
        assert "pdl1_tps" in bad.text and "fraction 0-1" in bad.text
        r = c.post(
            "/api/twin", json={"patient": PATIENT, "ensemble": 10, "seed": 2}, headers=bearer(token)
        )
        assert r.status_code == 202, r.text
        job = wait_for(c, r.json()["id"], token)
        assert job["status"] == "done", job
        assert job["kind"] == "twin" and set(job["files"]) == {"twin.json", "twin.html"}
        ranking = c.get(f"/api/twin/{job['id']}/ranking", headers=bearer(token)).json()
        assert ranking["disclaimer"].startswith("For research use")
        keys = [row["key"] for row in ranking["ranking"]]
        assert "her2_trastuzumab_paclitaxel" in keys
        qalys = [row["expected_qalys"] for row in ranking["ranking"]]
        assert qalys == sorted(qalys, reverse=True)
        assert any(i["field"] == "biomarkers.tmb_mut_per_mb" for i in ranking["imputed"])
        other = register(c, "someone-else")
        assert c.get(f"/api/twin/{job['id']}/ranking", headers=bearer(other)).status_code == 404


def test_twin_page_form_and_result(make_app):
    with TestClient(make_app()) as c:
        assert c.get("/twin", follow_redirects=False).status_code in (303, 401)
        csrf = browser_login(c, "page-user")
        page = c.get("/twin")
        assert page.status_code == 200 and 'name="patient_json"' in page.text
        assert "not for clinical decisions" in page.text
        bad = c.post("/twin", data={"patient_json": '{"tumor_type": "lung"}', "csrf_token": csrf})
        assert bad.status_code == 422 and "unknown tumour type" in bad.text
        ok = c.post(
            "/twin",
            data={"patient_json": '{"tumor_type": "nsclc"}', "ensemble": "10", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"].startswith("/jobs/")
        job_page = c.get(ok.headers["location"])
        assert job_page.status_code == 200 and "queued" in job_page.text
