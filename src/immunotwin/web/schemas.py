"""Request and response bodies of the JSON API (pydantic v2; the OpenAPI schema comes from these
and from the library's own models, e.g. :class:`immunotwin.trials.spec.TrialSpec`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from immunotwin.trials.spec import TrialSpec

Username = Annotated[
    str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$", examples=["alice"])
]
Password = Annotated[str, Field(min_length=8, max_length=256)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Credentials(_Frozen):
    username: Username
    password: Password


class TokenRequest(_Frozen):
    """Exchange a user name and password for a new API token (shown once)."""

    username: Username
    password: Password
    name: Annotated[str, Field(min_length=1, max_length=80)] = "api"


class UserOut(_Frozen):
    id: int
    username: str
    created_at: dt.datetime


class TokenOut(_Frozen):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    token: str | None = Field(
        default=None, description="the bearer token; returned only when it is created"
    )


class SpecText(_Frozen):
    """A trial spec as YAML (or JSON) text, as typed in the trial designer."""

    yaml: Annotated[str, Field(max_length=200_000)]


class SpecProblem(_Frozen):
    message: str
    source: str | None = None
    location: str | None = None
    line: int | None = None
    fix: str | None = None


class SpecCheck(_Frozen):
    valid: bool
    problems: list[SpecProblem] = []
    spec: TrialSpec | None = None


JobStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
JobKind = Literal["trial", "neoantigens", "twin"]


class TwinRequest(_Frozen):
    """A patient digital-twin job: the patient file's content (docs/patient.md) and options."""

    patient: dict[str, Any] = Field(
        description="the patient (same fields as a patient JSON file)",
        examples=[{"tumor_type": "nsclc", "line": 1, "biomarkers": {"pdl1_tps": 0.8}}],
    )
    ensemble: int = Field(default=100, ge=10, le=2000, description="ensemble members")
    seed: int = Field(default=0, ge=0)
    use_response_model: bool = True
    rank_by: str = Field(default="expected_qalys", max_length=40)


class JobOut(_Frozen):
    id: int
    kind: JobKind
    name: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    message: str
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    files: list[str] = Field(default=[], description="downloadable outputs, see /files/{name}")


class ErrorOut(_Frozen):
    detail: Any


class CatalogRows(_Frozen):
    count: int
    rows: list[dict[str, Any]]


class ValidationTable(_Frozen):
    available: bool
    source: str | None = None
    columns: list[str] = []
    rows: list[list[Any]] = []
    message: str = ""
