"""Web application and JSON API (FastAPI): an edge over the library that computes nothing.

>>> from immunotwin.web import create_app, WebSettings            # doctest: +SKIP
>>> app = create_app(WebSettings(data_dir="webdata"))              # doctest: +SKIP

Run it with ``immunotwin serve`` (see :func:`serve`) or any ASGI server.
"""

from importlib import import_module
from typing import Any

__all__ = ["create_app", "serve", "WebSettings"]
_LAZY = {
    "create_app": "immunotwin.web.app",
    "serve": "immunotwin.web.server",
    "WebSettings": "immunotwin.web.settings",
}


def __getattr__(name: str) -> Any:
    """Import FastAPI and SQLAlchemy only when the web app is used (keeps the CLI fast)."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'immunotwin.web' has no attribute {name!r}")
