"""`mychangsha dev` end to end: the stack comes up, answers the quick-start query, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

QUICK_START = (
    "{ attractions(first: 5, near: {lat: 28.19, lng: 112.97}) "
    "{ edges { distanceMeters node { name crowdLevel } } } }"
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_manifest(
    path: Path, proc: subprocess.Popen[bytes], timeout: float = 90
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the dev stack exited while starting"
        if path.exists():
            return dict(json.loads(path.read_text()))
        time.sleep(0.2)
    raise AssertionError("dev-stack.json was never written")


@pytest.mark.timeout(240)
def test_dev_stack_serves_the_quick_start_and_stops_everything(tmp_path: Path) -> None:
    first = _run_dev_stack_once(tmp_path)
    assert "GraphQL + IDE" in first and "dev-stack.json" in first
    # A second start over the kept data: indexes and seed are idempotent, nothing fails.
    _run_dev_stack_once(tmp_path)


def _run_dev_stack_once(tmp_path: Path) -> str:
    """Start `mychangsha dev`, check the quick start and the IDE, Ctrl-C it; its output."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URI", "REDIS_URL"}}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mychangsha",
            "dev",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        manifest = _wait_for_manifest(tmp_path / "dev-stack.json", proc)
        graph = str(manifest["graph"])
        assert graph == f"http://127.0.0.1:{port}/graphql"
        body = httpx.post(graph, json={"query": QUICK_START}, timeout=20).json()
        edges = body["data"]["attractions"]["edges"]
        assert len(edges) == 5 and "errors" not in body
        assert all(e["node"]["crowdLevel"] for e in edges)
        distances = [e["distanceMeters"] for e in edges]
        assert distances == sorted(distances)
        ide = httpx.get(graph, headers={"accept": "text/html"})
        assert ide.status_code == 200 and "<html" in ide.text.lower()
        for url in dict(manifest["simulators"]).values():  # type: ignore[call-overload]
            assert httpx.get(f"{url}/openapi.json").status_code == 200
        assert (tmp_path / "mongo").is_dir(), "embedded MongoDB keeps its data under the data dir"
        children = [int(line) for line in _child_pids(proc.pid)]
        assert len(children) >= 4  # mongo, redis, a simulator, the graph
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "Traceback" not in text, text
    time.sleep(0.5)
    assert not [pid for pid in children if _pid_alive(pid)], "Ctrl-C left children running"
    return text


def _child_pids(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return out.stdout.split()
