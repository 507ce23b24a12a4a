"""Operations shared by the JSON API and the pages; every lookup is scoped to its owner."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from immunotwin.errors import ImmunotwinError, SpecError
from immunotwin.web.db import ApiToken, Job, Upload, User, WebSession, utcnow
from immunotwin.web.jobs import FINISHED, QUEUED, job_dir
from immunotwin.web.results import NEO_DOWNLOADS, TRIAL_DOWNLOADS, TWIN_DOWNLOADS
from immunotwin.web.schemas import JobOut, SpecCheck, SpecProblem
from immunotwin.web.security import TOKEN_PREFIX, PasswordHashing, new_token, sha256

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


class NotFound(Exception):
    """The object does not exist or belongs to someone else (the two are not told apart)."""


@dataclass(frozen=True)
class Principal:
    """Who is making a request, and how they proved it."""

    user: User
    via: str  # "session" or "token"
    csrf_token: str | None = None


# users, sessions, tokens -----------------------------------------------------------------------
def create_user(db: Session, hashing: PasswordHashing, username: str, password: str) -> User:
    if not USERNAME_RE.match(username):
        raise SpecError(
            "user names are 3-64 letters, digits or _ . @ -", location="username", fix="rename"
        )
    if len(password) < 8:
        raise SpecError("passwords need at least 8 characters", location="password")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise SpecError("this user name is taken", location="username", fix="choose another")
    user = User(username=username, password_hash=hashing.hash(password))
    db.add(user)
    db.commit()
    return user


def create_session(db: Session, user: User, max_age_s: int) -> tuple[str, WebSession]:
    raw = new_token()
    row = WebSession(
        owner_id=user.id,
        session_sha256=sha256(raw),
        csrf_token=new_token(),
        expires_at=utcnow() + dt.timedelta(seconds=max_age_s),
    )
    db.add(row)
    db.commit()
    return raw, row


def principal_from_session(db: Session, raw: str | None) -> Principal | None:
    if not raw:
        return None
    row = db.scalar(select(WebSession).where(WebSession.session_sha256 == sha256(raw)))
    if row is None or row.expires_at < utcnow():
        return None
    user = db.get(User, row.owner_id)
    return Principal(user, "session", row.csrf_token) if user else None


def end_session(db: Session, raw: str | None) -> None:
    if raw:
        row = db.scalar(select(WebSession).where(WebSession.session_sha256 == sha256(raw)))
        if row is not None:
            db.delete(row)
            db.commit()


def create_token(db: Session, user: User, name: str) -> tuple[str, ApiToken]:
    raw = new_token(TOKEN_PREFIX)
    row = ApiToken(owner_id=user.id, name=name[:80] or "api", token_sha256=sha256(raw))
    db.add(row)
    db.commit()
    return raw, row


def principal_from_token(db: Session, raw: str | None) -> Principal | None:
    if not raw:
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == sha256(raw)))
    if row is None:
        return None
    row.last_used_at = utcnow()
    db.commit()
    user = db.get(User, row.owner_id)
    return Principal(user, "token") if user else None


def user_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.owner_id == user.id)))


def delete_token(db: Session, user: User, token_id: int) -> None:
    row = db.get(ApiToken, token_id)
    if row is None or row.owner_id != user.id:
        raise NotFound
    db.delete(row)
    db.commit()


# specs ---------------------------------------------------------------------------------------
def _problem(exc: ImmunotwinError) -> SpecProblem:
    line = None
    match = re.match(r"line (\d+)", exc.location or "")
    if match:
        line = int(match.group(1))
    return SpecProblem(
        message=exc.message, source=exc.source, location=exc.location, line=line, fix=exc.fix
    )


def check_spec_text(text: str, max_patients_per_arm: int) -> SpecCheck:
    """Parse YAML/JSON text and validate it exactly as ``immunotwin trial run`` would."""
    from immunotwin.io.specfile import _lines
    from immunotwin.trials.load import validate_trial_spec

    source = "trial spec"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return SpecCheck(
            valid=False,
            problems=[
                SpecProblem(
                    message=f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                    source=source,
                    location=f"line {mark.line + 1}, column {mark.column + 1}" if mark else None,
                    line=mark.line + 1 if mark else None,
                    fix="check indentation and quoting",
                )
            ],
        )
    lines: dict = {}
    if node is not None:
        _lines(node, (), lines)
    try:
        spec = validate_trial_spec(data, source=source, lines=lines)
        check_size(spec, max_patients_per_arm)
    except ImmunotwinError as exc:
        return SpecCheck(valid=False, problems=[_problem(exc)])
    return SpecCheck(valid=True, spec=spec)


def check_size(spec: Any, max_patients_per_arm: int) -> None:
    if spec.patients_per_arm > max_patients_per_arm:
        raise SpecError(
            f"patients_per_arm is {spec.patients_per_arm}; this server runs at most "
            f"{max_patients_per_arm} per arm",
            source="trial spec",
            location="patients_per_arm",
            fix="use fewer patients, or run large trials with `immunotwin trial run`",
        )


def demo_yaml() -> str:
    from immunotwin.demo import DEMO_SPEC

    return DEMO_SPEC.read_text(encoding="utf-8")


# jobs ----------------------------------------------------------------------------------------
def create_job(db: Session, user: User, kind: str, name: str, params: dict) -> Job:
    job = Job(
        owner_id=user.id,
        kind=kind,
        name=name[:200],
        status=QUEUED,
        progress=0.0,
        message="queued",
        params=params,
    )
    db.add(job)
    db.commit()
    return job


def owned_job(db: Session, user: User, job_id: int, kind: str | None = None) -> Job:
    job = db.get(Job, job_id)
    if job is None or job.owner_id != user.id or (kind is not None and job.kind != kind):
        raise NotFound
    return job


def user_jobs(db: Session, user: User, limit: int = 200) -> list[Job]:
    return list(
        db.scalars(select(Job).where(Job.owner_id == user.id).order_by(Job.id.desc()).limit(limit))
    )


def output_dir(jobs_dir: Path, job: Job) -> Path:
    return job_dir(jobs_dir, job.id) / "out"


def job_files(jobs_dir: Path, job: Job) -> list[str]:
    if job.status != "done":
        return []
    names = {"trial": TRIAL_DOWNLOADS, "twin": TWIN_DOWNLOADS}.get(job.kind, NEO_DOWNLOADS)
    out = output_dir(jobs_dir, job)
    return [n for n in names if (out / n).is_file()]


def job_out(jobs_dir: Path, job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        name=job.name,
        status=job.status,
        progress=max(0.0, min(1.0, job.progress or 0.0)),
        message=job.message or "",
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        files=job_files(jobs_dir, job),
    )


def delete_job(db: Session, jobs_dir: Path, user: User, job_id: int) -> None:
    job = owned_job(db, user, job_id)
    if job.status not in FINISHED:
        raise SpecError(
            f"job {job_id} is {job.status}", location="status", fix="cancel it first, then delete"
        )
    for upload in db.scalars(select(Upload).where(Upload.owner_id == user.id)):
        if upload.id == job.params.get("upload_id"):
            db.delete(upload)
    db.delete(job)
    db.commit()
    shutil.rmtree(job_dir(jobs_dir, job_id), ignore_errors=True)


def save_upload(
    db: Session, jobs_dir: Path, user: User, job: Job, filename: str, data: bytes
) -> Upload:
    """Store an uploaded VCF as ``jobs/<job id>/input.vcf[.gz]`` (its name is only recorded)."""
    folder = job_dir(jobs_dir, job.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = "input.vcf.gz" if data[:2] == b"\x1f\x8b" else "input.vcf"
    (folder / name).write_bytes(data)
    upload = Upload(
        owner_id=user.id, filename=Path(filename or "upload.vcf").name[:255], size_bytes=len(data)
    )
    db.add(upload)
    db.commit()
    job.params = {**job.params, "upload_id": upload.id}
    db.commit()
    return upload
