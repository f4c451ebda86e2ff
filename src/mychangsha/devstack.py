"""`mychangsha dev`: every piece of the stack as its own child process, supervised.

Embedded MongoDB (unless MONGODB_URI is set), Redis (unless REDIS_URL is set), one process
per upstream simulator from :8101 up, a seed run, then the graph with the IDE. The URLs go
to `.data/dev-stack.json` and to the terminal. Ctrl-C stops every child; a child that dies
stops the stack with a loud report and its log's last lines.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from mychangsha import embedded
from mychangsha.embedded import ChildProcess
from mychangsha.settings import Settings
from mychangsha.simulators.registry import SIMULATORS


class _Stop(Exception):
    """Raised by the signal handler to unwind the supervisor loop."""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _pick_port(preferred: int) -> int:
    return preferred if _port_free(preferred) else embedded.free_port()


def _tail(path: Path | None, lines: int = 20) -> str:
    if path is None or not path.exists():
        return "(no log file: its output went to this terminal)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _loud(message: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n{message}\n{bar}\n", file=sys.stderr, flush=True)


def _print_table(rows: dict[str, str]) -> None:
    width = max(len(k) for k in rows)
    print("\nmychangsha dev stack")
    print("-" * (width + 60))
    for name, url in rows.items():
        print(f"{name.ljust(width)}  {url}")
    print("-" * (width + 60))
    print("Ctrl-C stops everything.\n", flush=True)


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", "mychangsha", *args]


def _dev_master_key(data: Path) -> str:
    """The dev stack's master key, made once and kept with its data (it decrypts that data)."""
    from mychangsha.auth.crypto import FieldCipher

    path = data / "master.key"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.write_text(FieldCipher.generate_setting() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def _dev_merchant_key(data: Path) -> str:
    """The dev stack's payment merchant key (PEM), made once and kept with its data."""
    from mychangsha.integrations.payment import generate_merchant_key_pem

    path = data / "merchant-key.pem"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generate_merchant_key_pem())
        path.chmod(0o600)
    return path.read_text()


def run_dev_stack(port: int = 8000, data_dir: str = ".data") -> int:
    """Start, supervise and stop the whole stack; the exit code says how it ended."""
    data = Path(data_dir).resolve()
    logs = data / "logs"
    settings = Settings()
    children: list[ChildProcess] = []
    env = dict(os.environ)

    def stop_all() -> None:
        for child in reversed(children):
            child.stop()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # The manifest describes a running stack: none while starting, none after stopping.
    manifest_path = data / "dev-stack.json"
    manifest_path.unlink(missing_ok=True)
    try:
        rows: dict[str, str] = {}
        if not settings.master_key:
            env["MASTER_KEY"] = _dev_master_key(data)
        if not settings.payment_merchant_private_key:
            env["PAYMENT_MERCHANT_PRIVATE_KEY"] = _dev_merchant_key(data)
        env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
        env.setdefault("LOG_FORMAT", "text")  # a developer reads the terminal, not a collector
        if settings.mongodb_uri:
            env["MONGODB_URI"] = settings.mongodb_uri
        else:
            mongo = embedded.start_mongo(data / "mongo", log_path=logs / "mongodb.log")
            children.append(mongo)
            env["MONGODB_URI"] = embedded.mongo_uri(mongo.port)
        if settings.redis_url:
            env["REDIS_URL"] = settings.redis_url
        else:
            redis = embedded.start_redis(log_path=logs / "redis.log")
            children.append(redis)
            env["REDIS_URL"] = embedded.redis_uri(redis.port)
        rows["MongoDB"] = env["MONGODB_URI"]
        rows["Redis"] = env["REDIS_URL"]

        simulator_urls: dict[str, str] = {}
        for name, spec in SIMULATORS.items():
            sim_port = _pick_port(spec.default_port)
            child = ChildProcess(
                f"simulator:{name}",
                _python("simulate", name, "--port", str(sim_port)),
                sim_port,
                logs / f"simulator-{name}.log",
            )
            child.start()
            children.append(child)
            url = f"http://127.0.0.1:{sim_port}"
            simulator_urls[name] = url
            env[f"{name.upper()}_BASE_URL"] = url
            rows[f"simulator {name}"] = f"{url}  (OpenAPI {url}/openapi.json)"
        if "hospital" in simulator_urls:
            env["HOSPITAL_DIRECTORY_URL"] = f"{simulator_urls['hospital']}/directory"
        for child in children:
            _wait_listening(child)

        print("seeding catalogues …", flush=True)
        seeded = subprocess.run(_python("seed"), env=env, check=False)  # noqa: S603
        if seeded.returncode != 0:
            _loud("seeding failed: the graph starts anyway and retries its sync periodically")

        graph_port = port
        env.update({"GRAPHQL_IDE": "true", "CATALOGUE_SYNC_ON_START": "false"})
        graph = ChildProcess(
            "graph",
            _python("serve", "--port", str(graph_port), "--workers", "1"),
            graph_port,
            None,
            env,
            inherit_output=True,
        )
        graph.start()
        children.append(graph)
        _wait_listening(graph)
        graph_url = f"http://127.0.0.1:{graph_port}/graphql"
        rows = {
            "GraphQL + IDE": graph_url,
            "metrics": f"http://127.0.0.1:{graph_port}/metrics",
            **rows,
        }
        manifest = {
            "graph": graph_url,
            "ide": graph_url,
            "healthz": f"http://127.0.0.1:{graph_port}/healthz",
            "readyz": f"http://127.0.0.1:{graph_port}/readyz",
            "metrics": f"http://127.0.0.1:{graph_port}/metrics",
            "mongodb": env["MONGODB_URI"],
            "redis": env["REDIS_URL"],
            "simulators": simulator_urls,
            "logs": str(logs),
        }
        data.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        rows["manifest"] = str(manifest_path)
        _print_table(rows)
        return _supervise(children)
    except _Stop:
        print("\nstopping the dev stack …", flush=True)
        return 0
    finally:
        manifest_path.unlink(missing_ok=True)
        stop_all()


def _wait_listening(child: ChildProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.exit_code() is not None:
            raise RuntimeError(
                f"{child.name} exited with {child.exit_code()} while starting:\n"
                f"{_tail(child.log_path)}"
            )
        if not _port_free(child.port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{child.name} did not listen on :{child.port} within {timeout}s")


def _supervise(children: list[ChildProcess]) -> int:
    while True:
        for child in children:
            code = child.exit_code()
            if code is not None:
                _loud(
                    f"{child.name} DIED with exit code {code}; stopping the dev stack.\n"
                    f"last lines of {child.log_path or 'its output'}:\n{_tail(child.log_path)}"
                )
                return 1
        time.sleep(0.5)
