"""The federation tools the tests run: composition and a gateway, from the npm registry.

Installed once into `.data/federation-tools` and reused while the pinned versions stay the
same, so only the first run pays for `npm install`. Tests skip, saying why, when there is no
`npm`/`node` or the install fails (offline machine).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / ".data" / "federation-tools"
HERE = Path(__file__).resolve().parent
COMPOSE_SCRIPT = "compose.mjs"
INSTALL_TIMEOUT_SECONDS = 600

PACKAGES = {
    "@theguild/federation-composition": "0.27.0",
    "@graphql-hive/gateway": "2.15.1",
    "graphql": "16.15.0",
}


class ToolsUnavailable(Exception):
    """The node tools cannot be had on this machine; the message says why."""


def _manifest() -> str:
    return json.dumps({"private": True, "dependencies": PACKAGES}, indent=2) + "\n"


def _installed(directory: Path) -> bool:
    manifest = directory / "package.json"
    return (
        manifest.is_file()
        and manifest.read_text() == _manifest()
        and (directory / "node_modules" / ".bin" / "hive-gateway").exists()
    )


def ensure_tools() -> Path:
    """The directory with the pinned packages installed and the compose script beside them.

    The script is copied next to `node_modules` because Node resolves an ES module's imports
    from the script's own directory, not the working directory.
    """
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise ToolsUnavailable("npm and node are needed to compose subgraphs and run a gateway")
    if not _installed(TOOLS_DIR):
        TOOLS_DIR.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="federation-tools-", dir=TOOLS_DIR.parent))
        (staging / "package.json").write_text(_manifest())
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=staging,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ToolsUnavailable(f"npm install took over {exc.timeout:.0f}s") from exc
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ToolsUnavailable(f"npm install failed: {done.stderr.strip()[-500:]}")
        shutil.rmtree(TOOLS_DIR, ignore_errors=True)
        staging.replace(TOOLS_DIR)
    shutil.copyfile(HERE / COMPOSE_SCRIPT, TOOLS_DIR / COMPOSE_SCRIPT)
    return TOOLS_DIR


def compose(tools: Path, services: list[dict[str, str]], *, public: bool = False) -> str:
    """The supergraph SDL of subgraphs given as `{name, url, typeDefs}`; AssertionError if not.

    `public` answers the API schema a client of the gateway sees instead.
    """
    node = shutil.which("node") or "node"
    done = subprocess.run(
        [node, COMPOSE_SCRIPT, *(["--public"] if public else [])],
        cwd=tools,
        input=json.dumps(services),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"composition failed:\n{done.stderr}"
    return done.stdout


def gateway_argv(tools: Path, supergraph: Path, port: int) -> list[str]:
    """Hive Gateway serving a composed supergraph file on a local port."""
    binary = tools / "node_modules" / ".bin" / "hive-gateway"
    return [str(binary), "supergraph", str(supergraph), "--host", "127.0.0.1", "--port", str(port)]
