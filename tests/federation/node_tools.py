"""The federation tools the tests run: composition and a gateway, from the npm registry.

Installed once into `.data/federation-tools` and reused while the pinned versions stay the
same (tests/support/npm_packages.py), so only the first run pays for `npm install`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.support.npm_packages import ensure_installed

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / ".data" / "federation-tools"
HERE = Path(__file__).resolve().parent
COMPOSE_SCRIPT = "compose.mjs"

PACKAGES = {
    "@theguild/federation-composition": "0.27.0",
    "@graphql-hive/gateway": "2.15.1",
    "graphql": "16.15.0",
}


def ensure_tools() -> Path:
    """The directory with the pinned packages installed and the compose script beside them.

    The script is copied next to `node_modules` because Node resolves an ES module's imports
    from the script's own directory, not the working directory.
    """
    ensure_installed(TOOLS_DIR, PACKAGES)
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
