"""The JSON API under ``/api`` (OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from immunotwin.errors import ImmunotwinError, SpecError
from immunotwin.trials.spec import TrialSpec
from immunotwin.web import catalog as catalog_views
from immunotwin.web.deps import api_principal, api_principal_csrf, client_key, get_db
from immunotwin.web.results import (
    economics_rows,
    epitope_rows,
    read_json,
    trial_plot_data,
    twin_rows,
)
from immunotwin.web.schemas import (
    CatalogRows,
    Credentials,
    JobOut,
    SpecCheck,
    SpecText,
    TokenOut,
    TokenRequest,
    TwinRequest,
    UserOut,
    ValidationTable,
)
from immunotwin.web.store import (
    NotFound,
    Principal,
    check_size,
    check_spec_text,
    create_job,
    create_token,
    create_user,
    delete_job,
    delete_token,
    demo_yaml,
    job_files,
    job_out,
    output_dir,
    owned_job,
    save_upload,
    user_jobs,
    user_tokens,
)

router = APIRouter(prefix="/api")
AUTH = {401: {"description": "not logged in / bad token"}}
OWNED = {**AUTH, 404: {"description": "no such object for this user"}}
DB = Annotated[Session, Depends(get_db)]
User_ = Annotated[Principal, Depends(api_principal)]
UserCsrf = Annotated[Principal, Depends(api_principal_csrf)]


def _state(request: Request):
    return request.app.state


def _jobs_dir(request: Request) -> Path:
    return request.app.state.settings.jobs_dir


def _owned(db: Session, p: Principal, job_id: int, kind: str | None = None):
    try:
        return owned_job(db, p.user, job_id, kind)
    except NotFound:
        raise HTTPException(404, f"no {kind or 'job'} {job_id} for this user") from None


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    from immunotwin import __version__

    return {"status": "ok", "immunotwin_version": __version__}


# accounts ------------------------------------------------------------------------------------
@router.post("/auth/register", status_code=201, response_model=UserOut, tags=["accounts"])
def register(body: Credentials, request: Request, db: DB) -> UserOut:
    if not _state(request).settings.allow_registration:
        raise HTTPException(403, "registration is closed on this server")
    user = create_user(db, request.app.state.hashing, body.username, body.password)
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.post(
    "/auth/tokens",
    status_code=201,
    response_model=TokenOut,
    tags=["accounts"],
    responses={401: {"description": "wrong user name or password"}, 429: {"description": "slow"}},
)
def issue_token(body: TokenRequest, request: Request, db: DB) -> TokenOut:
    """Log in with user name and password and get a new API token (shown only here)."""
    from sqlalchemy import select

    from immunotwin.web.db import User

    limiter = _state(request).limiter
    keys = [f"user:{body.username.lower()}", client_key(request)]
    wait = limiter.retry_after_s(keys)
    if wait > 0:
        raise HTTPException(
            429, "too many failed logins; wait", {"Retry-After": str(int(wait) + 1)}
        )
    user = db.scalar(select(User).where(User.username == body.username))
    if not request.app.state.hashing.verify(user.password_hash if user else None, body.password):
        limiter.failed(keys)
        raise HTTPException(401, "wrong user name or password")
    limiter.succeeded(keys[:1])
    raw, row = create_token(db, user, body.name)
    return TokenOut(id=row.id, name=row.name, created_at=row.created_at, token=raw)


@router.get("/auth/tokens", response_model=list[TokenOut], tags=["accounts"], responses=AUTH)
def list_tokens(p: User_, db: DB) -> list[TokenOut]:
    return [
        TokenOut(id=t.id, name=t.name, created_at=t.created_at, last_used_at=t.last_used_at)
        for t in user_tokens(db, p.user)
    ]


@router.delete("/auth/tokens/{token_id}", status_code=204, tags=["accounts"], responses=OWNED)
def revoke_token(token_id: int, p: UserCsrf, db: DB) -> Response:
    try:
        delete_token(db, p.user, token_id)
    except NotFound:
        raise HTTPException(404, f"no token {token_id} for this user") from None
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, tags=["accounts"], responses=AUTH)
def me(p: User_) -> UserOut:
    return UserOut(id=p.user.id, username=p.user.username, created_at=p.user.created_at)


# trial specs and runs ------------------------------------------------------------------------
@router.post("/specs/validate", response_model=SpecCheck, tags=["trials"], responses=AUTH)
def validate_spec(body: SpecText, p: User_, request: Request) -> SpecCheck:
    """Validate YAML text as `immunotwin trial run` would; problems name line, field and fix."""
    return check_spec_text(body.yaml, _state(request).settings.max_patients_per_arm)


@router.get("/specs/demo", tags=["trials"])
def demo_spec_text() -> dict[str, str]:
    """The demo trial (KEYNOTE-024-like) as YAML, a starting point for the designer."""
    return {"yaml": demo_yaml()}


def start_trial(request: Request, db: Session, p: Principal, spec: TrialSpec) -> Any:
    from immunotwin.trials.load import validate_trial_spec

    validate_trial_spec(spec.model_dump(mode="json"), source="trial spec")
    check_size(spec, _state(request).settings.max_patients_per_arm)
    job = create_job(db, p.user, "trial", spec.name, {"spec": spec.model_dump(mode="json")})
    _state(request).jobs.submit(job.id)
    return job


@router.post(
    "/trials",
    status_code=202,
    response_model=JobOut,
    tags=["trials"],
    responses={**AUTH, 422: {"description": "the spec is invalid"}},
)
def submit_trial(spec: TrialSpec, p: UserCsrf, request: Request, db: DB) -> JobOut:
    """Queue a virtual trial; poll ``/api/jobs/{id}`` for progress."""
    return job_out(_jobs_dir(request), start_trial(request, db, p, spec))


@router.get("/trials/{job_id}/summary", tags=["trials"], responses=OWNED)
def trial_summary(job_id: int, p: User_, request: Request, db: DB) -> dict[str, Any]:
    """summary.json of a finished run (DESIGN.md §5)."""
    job = _owned(db, p, job_id, "trial")
    return read_json(_finished(request, job) / "summary.json")


@router.get("/trials/{job_id}/plots", tags=["trials"], responses=OWNED)
def trial_plots(job_id: int, p: User_, request: Request, db: DB) -> dict[str, Any]:
    """Data for the KM (with at-risk counts), waterfall, toxicity and cost plots."""
    job = _owned(db, p, job_id, "trial")
    return trial_plot_data(_finished(request, job))


@router.get("/trials/{job_id}/economics", tags=["trials"], responses=OWNED)
def trial_economics(job_id: int, p: User_, request: Request, db: DB) -> dict[str, Any]:
    job = _owned(db, p, job_id, "trial")
    econ = economics_rows(_finished(request, job))
    if econ is None:
        raise HTTPException(404, "this run has no economics.json")
    return econ


def _finished(request: Request, job) -> Path:
    if job.status != "done":
        raise HTTPException(409, f"job {job.id} is {job.status}; results exist once it is done")
    return output_dir(_jobs_dir(request), job)


# neoantigens ---------------------------------------------------------------------------------
async def read_upload(request: Request, upload: UploadFile) -> bytes:
    limit = _state(request).settings.max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the file is larger than this server's limit of {limit} bytes")
    if not data:
        raise HTTPException(422, "the uploaded file is empty")
    return data


def start_neoantigens(
    request: Request,
    db: Session,
    p: Principal,
    filename: str,
    data: bytes,
    hla: str,
    sample: str | None,
    n_vaccine: int,
    vaccine_format: str,
):
    if not hla.strip():
        raise SpecError(
            "give the patient's HLA class I alleles",
            location="hla",
            fix="e.g. HLA-A*02:01,HLA-B*07:02,HLA-C*07:02",
        )
    if vaccine_format not in ("long_peptides", "mrna_string"):
        raise SpecError(
            f"unknown vaccine format {vaccine_format!r}",
            location="vaccine_format",
            fix="long_peptides or mrna_string",
        )
    params = {
        "hla": hla.strip()[:2000],
        "sample": (sample or "").strip()[:200] or None,
        "n_vaccine": n_vaccine,
        "vaccine_format": vaccine_format,
    }
    job = create_job(db, p.user, "neoantigens", "neoantigens", params)
    save_upload(db, _jobs_dir(request), p.user, job, filename, data)
    _state(request).jobs.submit(job.id)
    return job


@router.post(
    "/neoantigens",
    status_code=202,
    response_model=JobOut,
    tags=["neoantigens"],
    responses={**AUTH, 413: {"description": "file too large"}},
)
async def submit_neoantigens(
    request: Request,
    p: UserCsrf,
    db: DB,
    vcf: Annotated[UploadFile, File(description="VEP-annotated VCF (plain or gzip)")],
    hla: Annotated[str, Form(max_length=2000, examples=["HLA-A*02:01,HLA-B*07:02"])],
    sample: Annotated[str | None, Form(max_length=200)] = None,
    n_vaccine: Annotated[int, Form(ge=1, le=100)] = 20,
    vaccine_format: Annotated[str, Form(pattern="^(long_peptides|mrna_string)$")] = "long_peptides",
) -> JobOut:
    """Queue VCF + HLA -> neoepitopes -> vaccine design (`immunotwin neoantigens`)."""
    data = await read_upload(request, vcf)
    job = start_neoantigens(
        request, db, p, vcf.filename or "upload.vcf", data, hla, sample, n_vaccine, vaccine_format
    )
    return job_out(_jobs_dir(request), job)


@router.get("/neoantigens/{job_id}/epitopes", tags=["neoantigens"], responses=OWNED)
def neoantigen_tables(job_id: int, p: User_, request: Request, db: DB) -> dict[str, Any]:
    """The ranked epitope table (first 500 rows) and the vaccine table."""
    job = _owned(db, p, job_id, "neoantigens")
    out = _finished(request, job)
    return {"summary": read_json(out / "summary.json"), **epitope_rows(out)}


# patient twin --------------------------------------------------------------------------------
def start_twin(request: Request, db: Session, p: Principal, twin: TwinRequest):
    """Validate the patient and options (InputError names the field) and queue the twin."""
    from immunotwin.twin.forecast import RANK_CRITERIA
    from immunotwin.twin.patient import patient_from_dict

    patient = patient_from_dict(twin.patient, source="patient")
    if twin.rank_by not in RANK_CRITERIA:
        raise SpecError(
            f"unknown ranking criterion '{twin.rank_by}'",
            location="rank_by",
            fix="one of " + ", ".join(RANK_CRITERIA),
        )
    params = twin.model_dump(mode="json")
    params["patient"] = patient.model_dump(mode="json", exclude_none=True)
    job = create_job(db, p.user, "twin", f"twin {patient.id}"[:120], params)
    _state(request).jobs.submit(job.id)
    return job


@router.post(
    "/twin",
    status_code=202,
    response_model=JobOut,
    tags=["twin"],
    responses={**AUTH, 422: {"description": "the patient is invalid"}},
)
def submit_twin(twin: TwinRequest, p: UserCsrf, request: Request, db: DB) -> JobOut:
    """Queue one patient's digital twin (`immunotwin twin`); poll ``/api/jobs/{id}``.
    For research use, not for clinical decisions."""
    return job_out(_jobs_dir(request), start_twin(request, db, p, twin))


@router.get("/twin/{job_id}/ranking", tags=["twin"], responses=OWNED)
def twin_ranking(job_id: int, p: User_, request: Request, db: DB) -> dict[str, Any]:
    """The ranked regimens, imputed inputs and notes of a finished twin."""
    job = _owned(db, p, job_id, "twin")
    rows = twin_rows(_finished(request, job))
    if rows is None:
        raise HTTPException(404, "this job has no twin.json")
    return rows


# jobs ----------------------------------------------------------------------------------------
@router.get("/jobs", response_model=list[JobOut], tags=["jobs"], responses=AUTH)
def list_jobs(p: User_, request: Request, db: DB) -> list[JobOut]:
    return [job_out(_jobs_dir(request), j) for j in user_jobs(db, p.user)]


@router.get("/jobs/{job_id}", response_model=JobOut, tags=["jobs"], responses=OWNED)
def get_job(job_id: int, p: User_, request: Request, db: DB) -> JobOut:
    return job_out(_jobs_dir(request), _owned(db, p, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, tags=["jobs"], responses=OWNED)
def cancel_job(job_id: int, p: UserCsrf, request: Request, db: DB) -> JobOut:
    job = _owned(db, p, job_id)
    _state(request).jobs.cancel(job.id)
    db.refresh(job)
    return job_out(_jobs_dir(request), job)


@router.delete("/jobs/{job_id}", status_code=204, tags=["jobs"], responses=OWNED)
def remove_job(job_id: int, p: UserCsrf, request: Request, db: DB) -> Response:
    try:
        delete_job(db, _jobs_dir(request), p.user, job_id)
    except NotFound:
        raise HTTPException(404, f"no job {job_id} for this user") from None
    return Response(status_code=204)


@router.get("/jobs/{job_id}/files/{name}", tags=["jobs"], responses=OWNED)
def download(job_id: int, name: str, p: User_, request: Request, db: DB) -> FileResponse:
    """Download one output file (names listed in the job's ``files``)."""
    job = _owned(db, p, job_id)
    _finished(request, job)
    if name not in job_files(_jobs_dir(request), job):
        raise HTTPException(404, f"job {job_id} has no file {name!r}")
    path = output_dir(_jobs_dir(request), job) / name
    if name in ("report.html", "twin.html"):
        return FileResponse(
            path,
            media_type="text/html",
            headers={
                "Content-Security-Policy": "default-src 'none'; img-src data:; "
                "style-src 'unsafe-inline'; sandbox"
            },
        )
    return FileResponse(path, filename=f"job{job_id}_{name}")


# catalogues and validation -------------------------------------------------------------------
@router.get("/catalog/drugs", response_model=CatalogRows, tags=["catalogue"])
def catalog_drugs() -> CatalogRows:
    rows = catalog_views.drug_rows()
    return CatalogRows(count=len(rows), rows=rows)


@router.get("/catalog/tumors", response_model=CatalogRows, tags=["catalogue"])
def catalog_tumors() -> CatalogRows:
    rows = catalog_views.tumor_rows()
    return CatalogRows(count=len(rows), rows=rows)


@router.get("/catalog/parameters", response_model=CatalogRows, tags=["catalogue"])
def catalog_parameters() -> CatalogRows:
    rows = catalog_views.parameter_rows()
    return CatalogRows(count=len(rows), rows=rows)


@router.get("/validation", response_model=ValidationTable, tags=["validation"])
def validation(request: Request) -> ValidationTable:
    return catalog_views.validation_table(_state(request).settings)


def error_body(exc: ImmunotwinError) -> dict[str, Any]:
    return {
        "detail": {
            "message": exc.message,
            "source": exc.source,
            "location": exc.location,
            "fix": exc.fix,
        }
    }
