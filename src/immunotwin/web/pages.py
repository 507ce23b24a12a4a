"""Server-rendered pages (Jinja2). Each handler calls the same store functions as the API."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from immunotwin.errors import ImmunotwinError
from immunotwin.web import catalog as catalog_views
from immunotwin.web.deps import (
    anonymous_csrf,
    client_key,
    get_db,
    optional_principal,
    page_principal,
    page_principal_csrf,
)
from immunotwin.web.results import (
    economics_rows,
    epitope_rows,
    read_json,
    trial_plot_data,
    twin_rows,
)
from immunotwin.web.security import CSRF_COOKIE, SESSION_COOKIE, new_token
from immunotwin.web.store import (
    NotFound,
    Principal,
    check_spec_text,
    create_session,
    create_token,
    create_user,
    delete_job,
    delete_token,
    demo_yaml,
    end_session,
    job_out,
    output_dir,
    owned_job,
    user_jobs,
    user_tokens,
)

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Page = Annotated[Principal, Depends(page_principal)]
PageCsrf = Annotated[Principal, Depends(page_principal_csrf)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]

NAV = (
    ("/", "Runs"),
    ("/trials/new", "Trial designer"),
    ("/neoantigens", "Neoantigens"),
    ("/twin", "Patient twin"),
    ("/catalog", "Catalogue"),
    ("/validation", "Validation"),
    ("/account", "Account"),
)


def _settings(request: Request):
    return request.app.state.settings


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page; anonymous pages get a double-submit CSRF cookie for their forms."""
    anon_token = None
    if principal is not None and principal.csrf_token:
        csrf = principal.csrf_token
    else:
        csrf = request.cookies.get(CSRF_COOKIE) or new_token()
        anon_token = csrf
    ctx = {
        "request": request,
        "user": principal.user if principal else None,
        "csrf_token": csrf,
        "nav": NAV,
        "path": request.url.path,
        **(context or {}),
    }
    response = request.app.state.templates.TemplateResponse(
        request, template, ctx, status_code=status_code
    )
    if anon_token and request.cookies.get(CSRF_COOKIE) != anon_token:
        response.set_cookie(
            CSRF_COOKIE,
            anon_token,
            httponly=True,
            samesite="strict",
            secure=_settings(request).secure_cookies,
            path="/",
        )
    return response


def error_page(request: Request, status: int, message: str, headers=None) -> HTMLResponse:
    response = render(
        request,
        "error.html",
        {"title": f"Error {status}", "status": status, "message": message},
        status_code=status,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_response(request: Request, db: Session, user, target: str) -> RedirectResponse:
    settings = _settings(request)
    raw, _ = create_session(db, user, settings.session_max_age_s)
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


# accounts ------------------------------------------------------------------------------------
@router.get("/login")
def login_page(request: Request, p: MaybeUser, next: str = "/") -> Response:
    if p is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"title": "Log in", "next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(anonymous_csrf)])
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    from immunotwin.web.db import User

    limiter = request.app.state.limiter
    keys = [f"user:{username.lower()}", client_key(request)]
    wait = limiter.retry_after_s(keys)
    if wait > 0:
        response = render(
            request,
            "login.html",
            {
                "title": "Log in",
                "next": next,
                "error": f"Too many failed logins. Try again in {int(wait) + 1} s.",
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = db.scalar(select(User).where(User.username == username))
    if not request.app.state.hashing.verify(user.password_hash if user else None, password):
        limiter.failed(keys)
        return render(
            request,
            "login.html",
            {"title": "Log in", "next": next, "error": "Wrong user name or password."},
            status_code=401,
        )
    limiter.succeeded(keys[:1])
    return _login_response(request, db, user, next)


@router.get("/register")
def register_page(request: Request) -> Response:
    return render(request, "register.html", {"title": "Create an account"})


@router.post("/register", dependencies=[Depends(anonymous_csrf)])
def register(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    if not _settings(request).allow_registration:
        return error_page(request, 403, "Registration is closed on this server.")
    try:
        user = create_user(db, request.app.state.hashing, username, password)
    except ImmunotwinError as exc:
        return render(
            request,
            "register.html",
            {"title": "Create an account", "error": exc.message, "username": username},
            status_code=422,
        )
    return _login_response(request, db, user, "/")


@router.post("/logout")
def logout(request: Request, db: DB, p: PageCsrf) -> Response:
    end_session(db, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, db: DB, p: Page) -> Response:
    return render(
        request,
        "account.html",
        {"title": "Account and API tokens", "tokens": user_tokens(db, p.user)},
        p,
    )


@router.post("/account/tokens")
def account_new_token(
    request: Request, db: DB, p: PageCsrf, name: Annotated[str, Form(max_length=80)] = "api"
) -> Response:
    raw, _ = create_token(db, p.user, name or "api")
    return render(
        request,
        "account.html",
        {"title": "Account and API tokens", "tokens": user_tokens(db, p.user), "new_token": raw},
        p,
    )


@router.post("/account/tokens/{token_id}/delete")
def account_delete_token(request: Request, db: DB, p: PageCsrf, token_id: int) -> Response:
    try:
        delete_token(db, p.user, token_id)
    except NotFound:
        return error_page(request, 404, f"No token {token_id} for this user.")
    return RedirectResponse("/account", status_code=303)


# runs ----------------------------------------------------------------------------------------
@router.get("/")
def home(request: Request, db: DB, p: Page) -> Response:
    jobs_dir = _settings(request).jobs_dir
    jobs = [job_out(jobs_dir, j) for j in user_jobs(db, p.user)]
    return render(request, "home.html", {"title": "Your runs", "jobs": jobs}, p)


@router.get("/trials/new")
def designer(request: Request, db: DB, p: Page, copy: int | None = None) -> Response:
    text = demo_yaml()
    if copy is not None:
        try:
            import yaml

            job = owned_job(db, p.user, copy, "trial")
            text = yaml.safe_dump(job.params["spec"], sort_keys=False)
        except NotFound:
            return error_page(request, 404, f"No trial {copy} for this user.")
    return render(request, "designer.html", {"title": "Trial designer", "yaml_text": text}, p)


@router.post("/trials")
def start_trial_page(
    request: Request, db: DB, p: PageCsrf, spec_yaml: Annotated[str, Form(max_length=200_000)]
) -> Response:
    from immunotwin.web.api import start_trial

    check = check_spec_text(spec_yaml, _settings(request).max_patients_per_arm)
    if not check.valid:
        return render(
            request,
            "designer.html",
            {"title": "Trial designer", "yaml_text": spec_yaml, "problems": check.problems},
            p,
            status_code=422,
        )
    job = start_trial(request, db, p, check.spec)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, db: DB, p: Page, job_id: int) -> Response:
    try:
        job = owned_job(db, p.user, job_id)
    except NotFound:
        return error_page(request, 404, f"No job {job_id} for this user.")
    jobs_dir = _settings(request).jobs_dir
    info = job_out(jobs_dir, job)
    ctx: dict[str, Any] = {"title": f"{job.kind.capitalize()} {job.id}: {job.name}", "job": info}
    if job.status == "done":
        out = output_dir(jobs_dir, job)
        if job.kind == "trial":
            summary = read_json(out / "summary.json")
            plots = trial_plot_data(out)
            ctx.update(
                summary=summary,
                plots=plots,
                plots_json=json.dumps(plots).replace("<", "\\u003c"),
                economics=economics_rows(out),
                economics_error=(out / "economics_error.txt").read_text()
                if (out / "economics_error.txt").is_file()
                else None,
            )
            return render(request, "run.html", ctx, p)
        if job.kind == "twin":
            ctx.update(twin=twin_rows(out))
            return render(request, "twin_result.html", ctx, p)
        tables = epitope_rows(out)
        ctx.update(neo_summary=read_json(out / "summary.json"), tables=tables)
        return render(request, "neo_result.html", ctx, p)
    template = {"trial": "run.html", "twin": "twin_result.html"}.get(job.kind, "neo_result.html")
    return render(request, template, ctx, p)


@router.post("/jobs/{job_id}/cancel")
def cancel_page(request: Request, db: DB, p: PageCsrf, job_id: int) -> Response:
    try:
        owned_job(db, p.user, job_id)
    except NotFound:
        return error_page(request, 404, f"No job {job_id} for this user.")
    request.app.state.jobs.cancel(job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/delete")
def delete_page(request: Request, db: DB, p: PageCsrf, job_id: int) -> Response:
    try:
        delete_job(db, _settings(request).jobs_dir, p.user, job_id)
    except NotFound:
        return error_page(request, 404, f"No job {job_id} for this user.")
    return RedirectResponse("/", status_code=303)


# neoantigens ---------------------------------------------------------------------------------
@router.get("/neoantigens")
def neo_page(request: Request, db: DB, p: Page) -> Response:
    jobs_dir = _settings(request).jobs_dir
    jobs = [job_out(jobs_dir, j) for j in user_jobs(db, p.user) if j.kind == "neoantigens"]
    return render(
        request,
        "neoantigens.html",
        {
            "title": "Neoantigens",
            "jobs": jobs,
            "max_mb": _settings(request).max_upload_bytes / 1024 / 1024,
        },
        p,
    )


@router.post("/neoantigens")
async def neo_submit(
    request: Request,
    db: DB,
    p: PageCsrf,
    vcf: Annotated[UploadFile, File()],
    hla: Annotated[str, Form(max_length=2000)],
    sample: Annotated[str, Form(max_length=200)] = "",
    n_vaccine: Annotated[int, Form(ge=1, le=100)] = 20,
    vaccine_format: Annotated[str, Form(max_length=20)] = "long_peptides",
) -> Response:
    from immunotwin.web.api import read_upload, start_neoantigens

    data = await read_upload(request, vcf)
    job = start_neoantigens(
        request, db, p, vcf.filename or "upload.vcf", data, hla, sample, n_vaccine, vaccine_format
    )
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# catalogue, validation, twin -----------------------------------------------------------------
@router.get("/catalog")
def catalog_page(request: Request, p: MaybeUser, tab: str = "drugs") -> Response:
    getters = {
        "drugs": catalog_views.drug_rows,
        "tumors": catalog_views.tumor_rows,
        "parameters": catalog_views.parameter_rows,
    }
    tab = tab if tab in getters else "drugs"
    rows = getters[tab]()
    columns = list(rows[0]) if rows else []
    return render(
        request,
        "catalog.html",
        {"title": "Catalogue", "tab": tab, "rows": rows, "columns": columns},
        p,
    )


@router.get("/validation")
def validation_page(request: Request, p: MaybeUser) -> Response:
    table = catalog_views.validation_table(_settings(request))
    return render(request, "validation.html", {"title": "Validation", "table": table}, p)


TWIN_EXAMPLE = """{
  "id": "example",
  "tumor_type": "nsclc",
  "line": 1,
  "age_years": 64,
  "sex": "male",
  "weight_kg": 78,
  "ecog": 1,
  "albumin_g_per_l": 39,
  "nlr": 3.2,
  "biomarkers": {"pdl1_tps": 0.8, "tmb_mut_per_mb": 14.0}
}"""


def _twin_context(request: Request, db, p, **extra) -> dict[str, Any]:
    jobs_dir = _settings(request).jobs_dir
    jobs = [job_out(jobs_dir, j) for j in user_jobs(db, p.user) if j.kind == "twin"]
    return {"title": "Patient twin", "jobs": jobs, "patient_json": TWIN_EXAMPLE, **extra}


@router.get("/twin")
def twin_page(request: Request, db: DB, p: Page) -> Response:
    return render(request, "twin.html", _twin_context(request, db, p), p)


@router.post("/twin")
async def twin_submit(
    request: Request,
    db: DB,
    p: PageCsrf,
    patient_json: Annotated[str, Form(max_length=200_000)] = "",
    patient_file: Annotated[UploadFile | None, File()] = None,
    ensemble: Annotated[int, Form(ge=10, le=2000)] = 100,
    seed: Annotated[int, Form(ge=0)] = 0,
    use_response_model: Annotated[bool, Form()] = False,
) -> Response:
    from immunotwin.web.api import read_upload, start_twin
    from immunotwin.web.schemas import TwinRequest

    text = patient_json
    if patient_file is not None and patient_file.filename:
        text = (await read_upload(request, patient_file)).decode("utf-8", errors="replace")
    try:
        import yaml

        data = yaml.safe_load(text)  # JSON is YAML
        twin = TwinRequest(
            patient=data if isinstance(data, dict) else {},
            ensemble=ensemble,
            seed=seed,
            use_response_model=use_response_model,
        )
        if not isinstance(data, dict):
            raise ValueError("give the patient as one JSON object")
        job = start_twin(request, db, p, twin)
    except (ImmunotwinError, ValueError, yaml.YAMLError) as exc:
        ctx = _twin_context(request, db, p, patient_json=text, error=str(exc))
        return render(request, "twin.html", ctx, p, status_code=422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
