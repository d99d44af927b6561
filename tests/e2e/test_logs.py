"""Production logs: one JSON object per line, each with the request id the answer carries."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from app.settings import Settings
from tests.support.worker_server import worker_server

GIVEN = "5f0c8a4e2b7d4c1e9a3b6d8f0e2c4a6b"


async def test_production_logs_json_lines_with_the_request_id(settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    async with worker_server(settings, workers=1, log_path=str(log), IMWALLET_ENV="production",
                             ALLOW_SANDBOX_CARDS_IN_PRODUCTION="true",
                             PASSWORD_HASH_PROFILE="default") as base, httpx.AsyncClient() as http:
        quoted = await http.post(f"{base}/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": GIVEN})
        made = await http.post(f"{base}/graphql", json={"query": "{ __typename }"})
        refused = await http.post(f"{base}/graphql", content=b"{", headers={"Content-Type": "application/json"})
    assert quoted.headers["x-request-id"] == GIVEN
    generated = made.headers["x-request-id"]
    assert len(generated) == 32
    assert generated != GIVEN
    assert refused.status_code == 400
    assert len(refused.headers["x-request-id"]) == 32

    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    assert {"timestamp", "level", "logger", "event", "request_id"} <= set(lines[0])
    by_request = {line["request_id"]: line for line in lines
                  if line["logger"] == "uvicorn.access" and "/graphql" in line["event"]}
    assert set(by_request) == {GIVEN, generated, refused.headers["x-request-id"]}
    assert '"POST /graphql HTTP/1.1" 200' in by_request[GIVEN]["event"]
    assert '"POST /graphql HTTP/1.1" 400' in by_request[refused.headers["x-request-id"]]["event"]
    assert all(line["request_id"] is None for line in lines if line["logger"] == "uvicorn.error")  # no request
