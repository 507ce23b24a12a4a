"""The FastAPI application: :func:`create_app` wires settings, database, jobs, API and pages."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from immunotwin.errors import ImmunotwinError
from immunotwin.web.db import make_engine, session_factory, upgrade_database
from immunotwin.web.deps import LoginRequired
from immunotwin.web.jobs import JobManager
from immunotwin.web.security import LoginRateLimiter, PasswordHashing
from immunotwin.web.settings import WebSettings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not they declare a length."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._too_large(send)
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send):
        body = b'{"detail":"request body too large for this server"}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """Build the web application; migrates the database to the newest schema first.

    Background job workers start with the application's lifespan (``with TestClient(app)``,
    or uvicorn) unless ``settings.run_jobs`` is False.
    """
    from immunotwin import __version__
    from immunotwin.web import api, pages

    settings = settings or WebSettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    upgrade_database(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    jobs = JobManager(sessions, settings.jobs_dir, settings.job_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.run_jobs:
            jobs.start()
        try:
            yield
        finally:
            jobs.shutdown()
            engine.dispose()

    app = FastAPI(
        title="immunotwin",
        version=__version__,
        description="In silico cancer immunotherapy: design and run virtual trials, analyse "
        "neoantigens, browse the catalogues. Authenticate with a session cookie (pages) or "
        "`Authorization: Bearer <token>` (get one from POST /api/auth/tokens).",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.jobs = jobs
    app.state.hashing = PasswordHashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    app.state.limiter = LoginRateLimiter(settings.login_max_failures, settings.login_window_s)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.url.path.startswith("/api/") and "cache-control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes + 64 * 1024)

    @app.exception_handler(ImmunotwinError)
    async def _immunotwin_error(request: Request, exc: ImmunotwinError):
        if request.url.path.startswith("/api/"):
            return JSONResponse(api.error_body(exc), status_code=422)
        return pages.error_page(request, 422, str(exc))

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return pages.error_page(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        from fastapi.exception_handlers import request_validation_exception_handler

        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}"
            for e in exc.errors()
        )
        return pages.error_page(request, 422, problems or "invalid form")

    return app
