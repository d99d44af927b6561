"""GraphiQL served by the app itself: the page, and its vendored files under /graphiql/.

Nothing the page needs comes from another host: the built files of the npm packages are vendored
in server/static/graphiql/ (see scripts/vendor_graphiql.py), every tag carries the file's
Subresource Integrity hash, and a Content-Security-Policy limits the page to this origin, so a
browser could not reach a CDN even if a script asked it to. A demo token travels in the URL
fragment (`/graphql#token=...`), which the browser never sends to the server or its logs.
graphql and graphql-ws (the subscription transport) are bundled inside graphiql.min.js; GraphiQL
sends its headers as the websocket's `connection_init` payload, which `on_ws_connect` accepts.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from schema.view import GraphQLApp

ASSETS = Path(__file__).parent / "static" / "graphiql"
ASSETS_URL = "/graphiql"
# The page's own script and style, after the vendored files they build on.
OWN_SCRIPTS = ["imwallet-graphiql.js"]
OWN_STYLES = ["imwallet-graphiql.css"]

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # React and the explorer set inline styles
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",  # GraphQL over HTTP and the websocket of this origin only
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])


def _integrity(name: str) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384((ASSETS / name).read_bytes()).digest()).decode()


def _vendored() -> tuple[list[str], list[str]]:
    """The vendored scripts and styles, in the manifest's order (react before what needs it)."""
    manifest = json.loads((ASSETS / "vendor.json").read_text(encoding="utf-8"))
    files = [entry["as"] for package in manifest["packages"] for entry in package["files"]]
    return [f for f in files if f.endswith(".js")], [f for f in files if f.endswith(".css")]


def render_page() -> str:
    scripts, styles = _vendored()
    tags = [f'<link rel="stylesheet" href="{ASSETS_URL}/{html.escape(name)}" integrity="{_integrity(name)}">'
            for name in [*styles, *OWN_STYLES]]
    tags += [f'<script src="{ASSETS_URL}/{html.escape(name)}" integrity="{_integrity(name)}" defer></script>'
             for name in [*scripts, *OWN_SCRIPTS]]
    head = "\n    ".join(tags)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>imwallet GraphiQL</title>
    <link rel="icon" href="data:,">
    {head}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
  </body>
</html>
"""


class GraphQLWithLocalIDE(GraphQLApp):
    """The GraphQL endpoint, whose IDE page loads everything from this server."""

    _page: str | None = None

    async def render_graphql_ide(self, request: Request) -> Response:
        if self._page is None:
            self._page = render_page()
        return HTMLResponse(self._page, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY,
                                                 "Referrer-Policy": "no-referrer",
                                                 "X-Content-Type-Options": "nosniff"})


def assets_route() -> Mount:
    """/graphiql/<file>: the page's files, cacheable by ETag."""
    return Mount(ASSETS_URL, app=StaticFiles(directory=ASSETS), name="graphiql-assets")
