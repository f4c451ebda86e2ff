"""Drive a server with wrk (Debian's package) through a generated Lua script.

wrk is C with an event loop per thread: on one core it sends several times more requests
than one Python worker can answer, so the figures are the server's, not the generator's
(docs/performance.md shows the bare endpoint's rate as the proof). The script rotates over
prepared requests (one per citizen, say), counts GraphQL errors in 200 answers, and prints
one JSON line with the run's figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.stack import SUPPORT_CORE, can_pin

MARKER = "BENCH "


class WrkMissing(RuntimeError):
    """wrk is not installed."""


@dataclass(frozen=True)
class HttpRequest:
    """One prepared request."""

    method: str
    path: str
    headers: dict[str, str]
    body: str = ""


@dataclass(frozen=True)
class Run:
    """What one wrk run measured."""

    requests: int
    seconds: float
    errors: int  # socket errors, non-2xx answers and answers with GraphQL errors
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def _lua_request(request: HttpRequest) -> str:
    headers = ", ".join(
        f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in request.headers.items()
    )
    body = _lua_string(request.body) if request.body else "nil"
    return f"{{{_lua_string(request.method)}, {_lua_string(request.path)}, {{{headers}}}, {body}}}"


def script(requests: Sequence[HttpRequest], delay_ms: float = 0.0) -> str:
    """The Lua script: prepared requests in rotation, an optional pause before each."""
    specs = ",\n".join(_lua_request(r) for r in requests)
    return f"""
local specs = {{
{specs}
}}
local prepared = {{}}
local counter = 0
graphql_errors = 0
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, s in ipairs(specs) do
    prepared[i] = wrk.format(s[1], s[2], s[3], s[4])
  end
end

function request()
  counter = counter + 1
  return prepared[(counter % #prepared) + 1]
end

{"function delay() return " + str(int(delay_ms)) + " end" if delay_ms > 0 else ""}

function response(status, headers, body)
  if status == 200 and string.find(body, '"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local gql = 0
  for _, t in ipairs(threads) do gql = gql + t:get("graphql_errors") end
  local e = summary.errors
  io.write(string.format(
    '{MARKER}{{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout + gql,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_binary() -> str:
    """The wrk executable, or WrkMissing with how to get it."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing("wrk is not installed: `apt-get install wrk` (Debian's package)")
    return found


def run(
    base_url: str,
    requests: Sequence[HttpRequest],
    *,
    seconds: float,
    connections: int,
    delay_ms: float = 0.0,
) -> Run:
    """One wrk run of `seconds` with `connections` open connections, on the support core."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script(requests, delay_ms))
        path = Path(handle.name)
    argv = [
        wrk_binary(),
        "-t1",
        f"-c{connections}",
        f"-d{max(int(seconds), 1)}s",
        "--timeout",
        "10s",
        "-s",
        str(path),
        base_url + requests[0].path,
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {SUPPORT_CORE})) if can_pin() else None,
        )
    finally:
        path.unlink(missing_ok=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line[len(MARKER) :])
    return Run(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        errors=figures["errors"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
    )
