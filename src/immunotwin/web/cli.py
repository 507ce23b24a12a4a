"""The ``immunotwin serve`` command (registered on the main app by ``immunotwin.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    database: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
            "default: SQLite in the data directory"
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="job outputs, uploads and the default SQLite database "
            "(default $IMMUNOTWIN_DATA_DIR or ~/.local/share/immunotwin)"
        ),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="mark cookies Secure (serve over HTTPS behind a proxy)")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=8, help="background jobs run at once")] = 1,
    allow_registration: Annotated[bool, typer.Option(help="let visitors create accounts")] = True,
) -> None:
    """Serve the web application and JSON API (trial designer, runs, neoantigens, catalogue).

    Example: immunotwin serve --port 8000 --data-dir ./webdata
    then open http://127.0.0.1:8000, register, and run the demo trial; the API is documented at
    http://127.0.0.1:8000/api/docs.
    """
    from immunotwin.web.server import serve as run_server

    run_server(
        host=host,
        port=port,
        database=database,
        data_dir=data_dir,
        secure_cookies=secure_cookies,
        workers=workers,
        allow_registration=allow_registration,
    )
