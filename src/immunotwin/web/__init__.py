"""Web application and JSON API (FastAPI): an edge over the library that computes nothing.

>>> from immunotwin.web import create_app, WebSettings            # doctest: +SKIP
>>> app = create_app(WebSettings(data_dir="webdata"))              # doctest: +SKIP

Run it with ``immunotwin serve`` (see :func:`serve`) or any ASGI server.
"""

from immunotwin.web.app import create_app as create_app
from immunotwin.web.server import serve as serve
from immunotwin.web.settings import WebSettings as WebSettings

__all__ = ["create_app", "serve", "WebSettings"]
