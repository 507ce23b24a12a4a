"""Background jobs: a real small trial, results pages, persistence over restarts, failures,
cancelling, neoantigens, and no patient data in logs."""

from __future__ import annotations

import logging
import time

from fastapi.testclient import TestClient

from immunotwin.web import WebSettings, create_app
from immunotwin.web.db import Job
from immunotwin.web.jobs import INTERRUPTED_MESSAGE
from tests.web.conftest import (
    FAST_HASHING,
    HLA,
    SMALL_TRIAL,
    bearer,
    browser_login,
    register,
    shared_data_path,
    small_demo_spec,
    wait_for,
)


def test_trial_job_outputs_and_api(trial_server):
    c, token, job = trial_server["client"], trial_server["token"], trial_server["job"]
    assert job["progress"] == 1.0 and job["error"] is None
    assert {"summary.json", "patients.parquet", "report.html", "economics.json"} <= set(
        job["files"]
    )
    summary = c.get(f"/api/trials/{job['id']}/summary", headers=bearer(token)).json()
    assert [a["name"] for a in summary["arms"]] == ["pembrolizumab", "chemotherapy"]
    assert all(a["n"] == SMALL_TRIAL["patients_per_arm"] for a in summary["arms"])
    plots = c.get(f"/api/trials/{job['id']}/plots", headers=bearer(token)).json()
    assert plots["at_risk_months"] == [0, 6, 12]
    for ep in ("pfs", "os"):
        for curve in plots["km"][ep]:
            assert curve["at_risk"][0] == SMALL_TRIAL["patients_per_arm"]
            surv = curve["survival"]
            assert surv[0] == 1.0 and all(a >= b for a, b in zip(surv, surv[1:], strict=False))
    assert sum(len(w["best_pct_change"]) for w in plots["waterfall"]) == 40
    econ = c.get(f"/api/trials/{job['id']}/economics", headers=bearer(token)).json()
    assert {a["name"] for a in econ["arms"]} == {"pembrolizumab", "chemotherapy"}
    report = c.get(f"/api/jobs/{job['id']}/files/report.html", headers=bearer(token))
    assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    parquet = c.get(f"/api/jobs/{job['id']}/files/patients.parquet", headers=bearer(token))
    assert parquet.content[:4] == b"PAR1"
    bad = c.get(f"/api/jobs/{job['id']}/files/..%2Fjobs.sqlite", headers=bearer(token))
    assert bad.status_code == 404


def test_run_page_shows_arm_table_km_and_at_risk(trial_server):
    c, job = trial_server["client"], trial_server["job"]
    browser_login(c, "viewer")
    assert c.get(f"/jobs/{job['id']}").status_code == 404  # not the viewer's run
    c.cookies.clear()
    # the owner logs in through the form
    c.get("/login")
    anon = c.cookies.get("immunotwin_csrf")
    r = c.post(
        "/login",
        data={"username": "owner", "password": "correct horse battery", "csrf_token": anon},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = c.get(f"/jobs/{job['id']}")
    assert page.status_code == 200
    for anchor in (
        'id="arm-table"',
        'id="km-pfs"',
        'id="km-os"',
        'id="at-risk-os"',
        'id="waterfall"',
        'id="toxicity"',
        'id="cost"',
        'id="economics-table"',
        "plotly-basic.min.js",
        'id="plot-data"',
    ):
        assert anchor in page.text, anchor
    assert '<th scope="row">pembrolizumab</th>' in page.text
    c.cookies.clear()


def test_results_and_state_survive_a_restart(trial_server):
    data_dir, job = trial_server["data_dir"], trial_server["job"]
    again = create_app(WebSettings(data_dir=data_dir, run_jobs=False, **FAST_HASHING))
    with TestClient(again) as c:
        token = c.post(
            "/api/auth/tokens", json={"username": "owner", "password": "correct horse battery"}
        ).json()["token"]
        same = c.get(f"/api/jobs/{job['id']}", headers=bearer(token)).json()
        assert same["status"] == "done" and same["files"] == job["files"]
        summary = c.get(f"/api/trials/{job['id']}/summary", headers=bearer(token))
        assert summary.status_code == 200


def test_running_jobs_are_interrupted_and_queued_jobs_resume(make_app, tmp_path):
    with TestClient(make_app()) as c:  # workers off: jobs stay queued
        token = register(c, "alice")
        running = c.post("/api/trials", json=small_demo_spec(), headers=bearer(token)).json()
        queued = c.post(
            "/api/neoantigens",
            files={"vcf": ("bad.vcf", b"this is not a VCF\n")},
            data={"hla": HLA},
            headers=bearer(token),
        ).json()
        with c.app.state.sessions() as db:  # as if the server died while it ran
            db.get(Job, running["id"]).status = "running"
            db.commit()
    with TestClient(make_app(run_jobs=True)) as c:
        job = c.get(f"/api/jobs/{running['id']}", headers=bearer(token)).json()
        assert job["status"] == "interrupted" and job["error"] == INTERRUPTED_MESSAGE
        # the queued job ran after the restart; it fails and says why
        failed = wait_for(c, queued["id"], token, timeout_s=60)
        assert failed["status"] == "failed" and failed["error"]
        browser_login(c, "bob")
        c.cookies.clear()


def test_failed_job_shows_its_error_on_the_page(make_app):
    with TestClient(make_app(run_jobs=True)) as c:
        csrf = browser_login(c, "alice")
        r = c.post(
            "/neoantigens",
            files={"vcf": ("bad.vcf", b"garbage\n")},
            data={"hla": HLA, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303
        job_id = int(r.headers["location"].rsplit("/", 1)[1])
        deadline = time.monotonic() + 60
        while c.get(f"/api/jobs/{job_id}").json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        page = c.get(f"/jobs/{job_id}")
        job = c.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "failed"
        assert 'id="job-error"' in page.text and "failed" in page.text


def test_cancel_queued_and_running_jobs(make_app):
    with TestClient(make_app()) as c:
        token = register(c, "alice")
        job = c.post("/api/trials", json=small_demo_spec(), headers=bearer(token)).json()
        r = c.post(f"/api/jobs/{job['id']}/cancel", headers=bearer(token)).json()
        assert r["status"] == "cancelled"
    with TestClient(make_app(run_jobs=True)) as c:
        spec = {**small_demo_spec(), "patients_per_arm": 40, "name": "to cancel"}
        job = c.post("/api/trials", json=spec, headers=bearer(token)).json()
        deadline = time.monotonic() + 120
        while c.get(f"/api/jobs/{job['id']}", headers=bearer(token)).json()["status"] == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        c.post(f"/api/jobs/{job['id']}/cancel", headers=bearer(token))
        final = wait_for(c, job["id"], token, timeout_s=120)
        assert final["status"] == "cancelled" and final["files"] == []
        assert c.delete(f"/api/jobs/{job['id']}", headers=bearer(token)).status_code == 204
        assert c.get(f"/api/jobs/{job['id']}", headers=bearer(token)).status_code == 404


def test_neoantigen_job_and_no_patient_data_in_logs(make_app, caplog):
    vcf = shared_data_path("vcf", "pvacseq_test_hcc1395_grch37", "input.vcf")
    caplog.set_level(logging.DEBUG)
    with TestClient(make_app(run_jobs=True)) as c:
        token = register(c, "alice")
        r = c.post(
            "/api/neoantigens",
            files={"vcf": ("patient-JD-1970.vcf", vcf.read_bytes())},
            data={"hla": HLA, "n_vaccine": "5"},
            headers=bearer(token),
        )
        assert r.status_code == 202, r.text
        job = wait_for(c, r.json()["id"], token, timeout_s=120)
        assert job["status"] == "done", job
        assert {"epitopes.tsv", "vaccine.tsv", "summary.json"} <= set(job["files"])
        tables = c.get(f"/api/neoantigens/{job['id']}/epitopes", headers=bearer(token)).json()
        assert tables["summary"]["alleles_used"] == HLA.split(",")
        assert tables["vaccine"]["total_rows"] == 5
        assert "MT Epitope Seq" in tables["epitopes"]["columns"]
        peptide = tables["vaccine"]["rows"][0][tables["vaccine"]["columns"].index("MT Epitope Seq")]
        owner_page = c.get(f"/jobs/{job['id']}", headers=bearer(token))
        assert owner_page.status_code == 200 and 'id="epitope-table"' in owner_page.text
        assert "mut/Mb" in owner_page.text
        browser_login(c, "bob")  # someone else: the page is refused
        assert c.get(f"/jobs/{job['id']}").status_code == 404
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("patient-JD-1970", tables["summary"]["sample"], "HLA-A*02:01", peptide):
        assert secret not in logged, secret
    assert f"job {job['id']}" in logged  # jobs are logged, by id
