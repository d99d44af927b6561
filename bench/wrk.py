"""wrk as the load generator: a separate process, one connection per thread, Lua from bench/lua."""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua" / "graphql.lua"


@dataclass
class Sample:
    """One measured run of one configuration."""

    throughput: float
    p50_ms: float
    p99_ms: float
    ok: int
    bad: int
    inflight: list[tuple[str, str]] = field(default_factory=list)  # (token, body) cut off when wrk stopped
    bad_samples: list[str] = field(default_factory=list)
    total_rate: float = 0.0  # every answer over wrk's whole run, warm-up included (for comparison)
    requests: int = 0  # every answer over the whole run (wrk's, or the raw run's), warm-up included
    # The target's CPU (every process of it) over wrk's whole run, per answer: steadier than throughput
    # on a shared machine whose speed swings run to run, and what an operator pays for.
    cpu_us: float = 0.0
    # PostgreSQL's CPU over the same window, per answer (bench.stack.postgres_cpu_seconds): on one
    # machine the database and the server share the cores, so work moved into the database shows here.
    pg_us: float = 0.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("bench: wrk is missing; installing the Debian package", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def _lua_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def write_data(path: Path, *, url_path: str, marker: str, requests: list[tuple[str, str]]) -> Path:
    """The Lua table the script loads: the path, the success marker and the request pool."""
    lines = ["return {", f"  path = {_lua_string(url_path)},",
             f"  marker = {_lua_string(marker)},", "  requests = {"]
    lines += [f"    {{{_lua_string(token)}, {_lua_string(body)}}}," for token, body in requests]
    lines += ["  },", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run_wrk(wrk: str, url: str, data: Path, *, connections: int, seconds: float, warmup: float) -> Sample:
    """Load for `warmup` + `seconds`; only answers completed in the last `seconds` are measured."""
    start = time.monotonic() + 0.2  # wrk's threads are connected by then
    proc = await asyncio.create_subprocess_exec(
        wrk, "-t", str(connections), "-c", str(connections), "-d", f"{math.ceil(warmup + seconds + 0.3)}s",
        "--timeout", "10s", "-s", str(LUA), url,
        env={"BENCH_DATA": str(data), "BENCH_RUN": uuid.uuid4().hex, "PATH": "/usr/bin:/bin",
             "BENCH_FROM": f"{start + warmup:.6f}", "BENCH_UNTIL": f"{start + warmup + seconds:.6f}"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {text[-1500:]} {err.decode(errors='replace')[-800:]}")
    r: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
    inflight = [tuple(p.split("\t", 1)) for p in r["inflight"]]
    return Sample(throughput=r["window_ok"] / seconds, p50_ms=r["p50_us"] / 1000,
                  p99_ms=r["p99_us"] / 1000, ok=r["ok"], bad=r["bad"] + r["socket_errors"],
                  inflight=inflight,  # type: ignore[arg-type]
                  bad_samples=list(r["bad_samples"]), total_rate=r["requests"] / (r["duration_us"] / 1e6),
                  requests=r["requests"])
