"""The GraphiQL page over plain HTTP: every file from this server, each matching its integrity hash."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from tests.support.server import RunningServer

PAGE_HEADERS = {"Accept": "text/html"}


async def test_graphiql_page_loads_only_this_servers_files_with_their_integrity(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        page = await http.get("/graphql", headers=PAGE_HEADERS)
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "connect-src 'self'" in csp
        assert "default-src 'none'" in csp
        refs = re.findall(r'(?:src|href)="([^"]+)" integrity="([^"]+)"', page.text)
        assert len(refs) == 8  # the 6 vendored files, then the page's own script and style
        assert not re.search(r"https?://", page.text)
        for url, integrity in refs:
            assert url.startswith("/graphiql/"), url
            asset = await http.get(url)
            assert asset.status_code == 200, url
            digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
            assert integrity == f"sha384-{digest}", url

