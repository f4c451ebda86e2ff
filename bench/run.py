"""Run every scenario against the graph and its baselines; print the table; keep the JSON."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from bench import scenarios as s
from bench.citizens import make_citizens
from bench.report import render, targets
from bench.stack import ROOT, SUPPORT_CORE, can_pin, running_stack
from bench.wrk import WrkMissing, wrk_binary

RESULTS = ROOT / "bench" / "results"
STAMPEDE_CITIZENS = 2000
HOME_CITIZENS = 20

UVICORN = [
    sys.executable,
    "-m",
    "uvicorn",
    "--factory",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
    "--timeout-keep-alive",
    "75",
]


def main() -> int:
    """The whole benchmark; exit 1 when a target is missed."""
    try:
        wrk_binary()
    except WrkMissing as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        return 2
    if can_pin():
        os.sched_setaffinity(0, {SUPPORT_CORE})
    started = time.monotonic()
    data = ROOT / ".data" / "bench"
    with running_stack(data) as stack:
        os.environ.update(stack.env)
        graph = stack.start_server(
            "graph", [sys.executable, "-m", "mychangsha", "serve", "--workers", "1"], {}
        )
        naive = stack.start_server("naive", [*UVICORN, "bench.naive:create_app"], {})
        print("preparing citizens, bookings and caches …", flush=True)
        citizens = asyncio.run(make_citizens(STAMPEDE_CITIZENS + HOME_CITIZENS + 2))
        setup, five, home_citizens, racers = (
            citizens[0],
            citizens[1],
            citizens[2 : 2 + HOME_CITIZENS],
            citizens[2 + HOME_CITIZENS :],
        )
        body_file = data / "public-answer.json"
        public = s.prepare_public_query(graph, body_file)
        bare = stack.start_server(
            "bare", [*UVICORN, "bench.bare:create_app"], {"BENCH_BARE_BODY": str(body_file)}
        )
        home_requests = s.prepare_home(graph, home_citizens)
        slot_requests, spare_doctors = s.prepare_doctor_slots(graph, setup)
        stampede_slots = s.prepare_stampede(stack, graph, setup)
        s.prepare_five_hospitals(graph, five)
        print(f"ready after {time.monotonic() - started:.0f} s; measuring …", flush=True)

        rows = []
        rows += s.public_query(stack, graph, bare, naive, public)
        rows += s.home_screen(stack, graph, naive, home_requests)
        rows += s.doctor_slots(stack, graph, naive, slot_requests, spare_doctors[0])
        rows.append(s.stampede(stack, graph, racers, stampede_slots))
        rows.append(s.slow_hospital(stack, graph, five))
    verdicts = targets(rows)
    print(render(rows, verdicts))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result: dict[str, Any] = {
        "when": stamp,
        "seconds": round(time.monotonic() - started, 1),
        "pinned": can_pin(),
        "cpus": os.cpu_count(),
        "rows": s.as_json(rows),
        "targets": [v.as_json() for v in verdicts],
    }
    path = RESULTS / f"{stamp}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\nresults: {path.relative_to(ROOT)}  ({result['seconds']} s)")
    return 0 if all(v.met for v in verdicts) else 1
