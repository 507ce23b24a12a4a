"""End to end in a real headless Chromium: register, design and run a small trial, see the KM
plot and the arm table. Set IMMUNOTWIN_WEB_SCREENSHOTS=DIR to save a screenshot of each page
(docs/web/*.png are made this way).

Needs Debian's chromium (`apt-get install -y chromium`) and Playwright for Python
(`pip install playwright`; no browser download: the system chromium is used).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("IMMUNOTWIN_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip(f"no chromium at {CHROMIUM}: apt-get install -y chromium", allow_module_level=True)

from immunotwin.web import WebSettings, create_app  # noqa: E402
from tests.web.conftest import FAST_HASHING, HLA, PASSWORD, shared_data_path  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    settings = WebSettings(data_dir=tmp_path_factory.mktemp("browser"), **FAST_HASHING)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def page(server):
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        pg.goto(server + "/register")
        _shot(pg, "register")
        pg.fill("#username", "alice")
        pg.fill("#password", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(server + "/")
        yield pg
        browser.close()


def _shot(page, name: str, full_page: bool = False) -> None:
    folder = os.environ.get("IMMUNOTWIN_WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def test_register_design_run_and_see_results(server, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/trials/new")
    page.wait_for_selector("#spec-check p.ok")  # the demo spec validates as it loads
    text = page.input_value("#spec-yaml")
    # a typo is reported while typing, with its line
    page.fill("#spec-yaml", text.replace("tumor_type: nsclc", "tumor_type: nsclcc"))
    page.wait_for_selector("#spec-check ul.error li")
    assert "nsclcc" in page.inner_text("#spec-check")
    _shot(page, "designer-error")
    small = text.replace("patients_per_arm: 300", "patients_per_arm: 20").replace(
        "follow_up_months: 36", "follow_up_months: 12"
    )
    page.fill("#spec-yaml", small)
    page.wait_for_selector("#spec-check p.ok")
    assert "20 patients per arm" in page.inner_text("#spec-check")
    _shot(page, "designer")
    page.click("#run-button")
    page.wait_for_url("**/jobs/*")
    # live progress, then the page reloads itself with the results
    page.wait_for_selector("#arm-table", timeout=300_000)
    page.wait_for_selector("#km-pfs .main-svg")
    page.wait_for_selector("#km-os .main-svg")
    page.wait_for_selector("#waterfall .main-svg")
    rows = page.locator("#arm-table tbody tr")
    assert rows.count() == 2
    assert "pembrolizumab" in rows.nth(0).inner_text()
    assert page.locator("#at-risk-pfs tbody tr").count() == 2
    assert page.locator("#km-pfs .scatterlayer .trace").count() == 2  # one KM curve per arm
    _shot(page, "run", full_page=True)
    page.goto(server + "/")
    assert "done" in page.inner_text("#jobs-table")
    _shot(page, "runs")
    assert not errors, errors


def test_other_pages_render(server, page):
    page.goto(server + "/catalog?tab=drugs")
    page.wait_for_selector("#catalog-table tbody tr")
    page.fill("#filter", "pembrolizumab")
    visible = page.locator("#catalog-table tbody tr:visible")
    assert visible.count() >= 1 and "pembrolizumab" in visible.first.inner_text()
    page.fill("#filter", "")
    _shot(page, "catalog-drugs")
    page.goto(server + "/catalog?tab=parameters")
    page.wait_for_selector("#catalog-table tbody tr")
    _shot(page, "catalog-parameters")
    page.goto(server + "/validation")
    _shot(page, "validation")
    page.goto(server + "/twin")
    assert "not for clinical decisions" in page.inner_text("main")
    assert page.locator("#twin-button").count() == 1
    _shot(page, "twin")
    page.goto(server + "/account")
    _shot(page, "account")


def test_twin_job_shows_ranked_regimens(server, page):
    page.goto(server + "/twin")
    page.fill("#ensemble", "10")
    page.click("#twin-button")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#twin-ranking", timeout=300_000)
    rows = page.locator("#twin-ranking tbody tr")
    assert rows.count() >= 2
    assert "not for clinical decisions" in page.inner_text("main")
    _shot(page, "twin-result", full_page=True)


def test_neoantigen_upload_and_sortable_table(server, page):
    vcf = shared_data_path("vcf", "pvacseq_test_hcc1395_grch37", "input.vcf")
    page.goto(server + "/neoantigens")
    assert page.url.endswith("/neoantigens"), page.url
    page.set_input_files("#vcf", str(vcf))
    page.fill("#hla", HLA)
    page.fill("#n_vaccine", "8")
    _shot(page, "neoantigens-form")
    page.click("#analyse-button")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#epitope-table tbody tr", timeout=120_000)
    assert page.locator("#vaccine-table tbody tr").count() == 8
    headers = page.locator("#epitope-table thead th")
    column = [h.strip() for h in headers.all_inner_texts()].index("Best MT IC50 Score")
    header = headers.nth(column)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = [
        float(v)
        for v in page.locator(f"#epitope-table tbody td:nth-child({column + 1})").all_inner_texts()
    ]
    assert values == sorted(values)
    _shot(page, "neoantigens-result")
