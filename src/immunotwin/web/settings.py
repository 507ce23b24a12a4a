"""Settings of the web application: where data live, which database, security limits."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


def default_data_dir() -> Path:
    """``$IMMUNOTWIN_DATA_DIR`` or ``~/.local/share/immunotwin`` (XDG data home)."""
    env = os.environ.get("IMMUNOTWIN_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "immunotwin"


class WebSettings(BaseModel):
    """Everything :func:`immunotwin.web.create_app` needs; all fields have safe defaults.

    ``database_url`` is any SQLAlchemy URL (``postgresql+psycopg://user@host/db``); without it a
    SQLite file ``immunotwin.sqlite3`` in ``data_dir`` is used. Job outputs and uploads are
    files under ``data_dir/jobs/<job id>/``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secure_cookies: bool = Field(
        default=False, description="set the Secure flag on cookies (serve over HTTPS)"
    )
    session_max_age_s: int = Field(default=7 * 24 * 3600, ge=60)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory cost")
    login_max_failures: int = Field(default=5, ge=1, description="per user name and per client")
    login_window_s: float = Field(default=300.0, gt=0)
    max_patients_per_arm: int = Field(
        default=5000, ge=1, description="largest trial the server accepts (patients per arm)"
    )
    job_workers: int = Field(default=1, ge=1, le=8, description="jobs that run at once")
    run_jobs: bool = Field(default=True, description="False: jobs stay queued (tests, read-only)")
    allow_registration: bool = True
    validation_path: Path | None = Field(
        default=None,
        description="a validation CSV or docs/validation.md; default: data_dir/validation.csv "
        "or docs/validation.md of a source checkout",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'immunotwin.sqlite3'}"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"
