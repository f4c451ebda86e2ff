"""The ecosystem's own GraphQL clients, from the npm registry, and a runner for their scripts.

Installed once into `.data/conformance-tools` and reused while the pinned versions stay the
same, as tests/federation/node_tools.py does for the federation tools. Unlike those, a missing
`npm`/`node` or a failed install is an error here, not a skip: CI must prove conformance.

A script from tests/conformance/scripts/ reads one JSON document on stdin and writes JSON on
stdout: one document (`run_script`) or one document a line while it runs (`NodeScript`).
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.federation.node_tools import ROOT
from tests.support.npm_packages import ToolsUnavailable, ensure_installed, npm_and_node

TOOLS_DIR = ROOT / ".data" / "conformance-tools"
SCRIPTS = Path(__file__).resolve().parent / "scripts"
CHROMIUM = Path("/usr/bin/chromium")

PACKAGES = {
    "@apollo/client": "4.3.8",
    "graphql": "17.1.0",
    "graphql-http": "1.23.1",
    "graphql-ws": "6.4.2",
    "playwright-core": "1.65.2",
    "rxjs": "7.8.2",
    "ws": "8.23.1",
}

__all__ = ["CHROMIUM", "PACKAGES", "NodeScript", "ToolsUnavailable", "ensure_tools", "run_script"]


def ensure_tools() -> Path:
    """The directory with the pinned packages installed and the scripts copied beside them.

    The scripts go into `scripts/` under that directory because Node resolves an ES module's
    imports from the script's own directory upwards, not from the working directory.
    """
    ensure_installed(TOOLS_DIR, PACKAGES)
    target = TOOLS_DIR / "scripts"
    target.mkdir(exist_ok=True)
    for script in SCRIPTS.glob("*.mjs"):
        shutil.copyfile(script, target / script.name)
    return TOOLS_DIR


def _argv(tools: Path, script: str) -> list[str]:
    """Node running one of the scripts copied beside the packages."""
    _, node = npm_and_node()
    path = tools / "scripts" / script
    assert path.is_file(), f"no script {script} in {path.parent}"
    return [node, str(path)]


def run_script(tools: Path, script: str, payload: Any, *, timeout: float = 60.0) -> Any:
    """Run a script to its end on one JSON input; its one JSON output (AssertionError if none)."""
    try:
        done = subprocess.run(
            _argv(tools, script),
            cwd=tools,
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{script} ran over {timeout:.0f}s; stderr:\n{exc.stderr!r}") from exc
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stderr}"
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{script} printed no JSON: {done.stdout!r}\n{done.stderr}") from exc


class NodeScript:
    """A script running beside the test, read one JSON line at a time as it prints them.

    Its output is read by a thread into a queue so that a wait for the next line can end on
    a deadline; whatever it wrote to stderr goes into every failure message.
    """

    def __init__(self, tools: Path, script: str, payload: Any) -> None:
        self.script = script
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self.seen: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            _argv(tools, script),
            cwd=tools,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(payload))
        self.proc.stdin.close()
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        """Every line into the queue, then None for the end."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_stderr(self) -> None:
        """Kept for failure messages; read so that a chatty script never blocks on the pipe."""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def describe(self) -> str:
        """What the script printed so far, for failure messages."""
        return f"{self.script}: lines {self.seen}\nstderr:\n{''.join(self.stderr)}"

    def next(self, timeout: float) -> dict[str, Any] | None:
        """The next line printed within `timeout` seconds, None if none; fails if it exited."""
        try:
            line = self.lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if line is None:
            self.proc.wait(timeout=10)
            raise AssertionError(f"exited {self.proc.returncode} early\n{self.describe()}")
        message: dict[str, Any] = json.loads(line)
        self.seen.append(message)
        return message

    def expect(self, event: str, timeout: float = 20.0) -> dict[str, Any]:
        """The next line, which must be this event and come within `timeout` seconds."""
        message = self.next(timeout)
        assert message is not None, f"no {event!r} within {timeout}s\n{self.describe()}"
        assert message.get("event") == event, f"wanted {event!r}\n{self.describe()}"
        return message

    def collect(self, seconds: float) -> list[dict[str, Any]]:
        """Every line printed during the next `seconds` seconds (a quiet window)."""
        deadline = time.monotonic() + seconds
        found: list[dict[str, Any]] = []
        while (left := deadline - time.monotonic()) > 0:
            message = self.next(left)
            if message is None:
                break
            found.append(message)
        return found

    def finish(self, timeout: float = 20.0) -> int:
        """Wait for the script to end by itself; its exit code, with its last lines in `seen`."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"still running after {timeout}s\n{self.describe()}") from exc
        self._readers[0].join(timeout=5)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(json.loads(line))
        return code

    def close(self) -> None:
        """Stop the script if it still runs and release its pipes."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> NodeScript:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
