"""Run the web application with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

from immunotwin.web.settings import WebSettings, default_data_dir

log = logging.getLogger(__name__)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    database: str | None = None,
    data_dir: str | Path | None = None,
    *,
    secure_cookies: bool = False,
    workers: int = 1,
    allow_registration: bool = True,
    log_level: str = "info",
) -> None:
    """Migrate the database, start the job workers and serve until interrupted.

    Parameters
    ----------
    host, port : where to listen (default localhost only; put a TLS proxy in front to expose it).
    database : an SQLAlchemy URL; default SQLite ``<data_dir>/immunotwin.sqlite3``.
    data_dir : job outputs, uploads and the default database (default ``$IMMUNOTWIN_DATA_DIR``
        or ``~/.local/share/immunotwin``).
    secure_cookies : set the cookies' Secure flag (required when served over HTTPS).
    workers : background jobs that run at once.
    """
    import uvicorn

    from immunotwin.web.app import create_app

    settings = WebSettings(
        data_dir=Path(data_dir) if data_dir else default_data_dir(),
        database_url=database,
        secure_cookies=secure_cookies,
        job_workers=workers,
        allow_registration=allow_registration,
    )
    app = create_app(settings)
    log.info("serving on http://%s:%d (data in %s)", host, port, settings.data_dir)
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
