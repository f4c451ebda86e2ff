"""Pinned npm packages for the suite's Node tools, installed once into `.data/` and reused.

A directory is reused while its package.json is this manifest and the packages are there, so
only a first run (or a change of pins) pays for `npm install`. The install happens in a
staging directory that replaces the old one only when it succeeded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

INSTALL_TIMEOUT_SECONDS = 600


class ToolsUnavailable(Exception):
    """The node tools cannot be had on this machine; the message says why."""


def manifest(packages: Mapping[str, str]) -> str:
    """The package.json that pins the versions; a change to it means a new install."""
    return json.dumps({"private": True, "dependencies": dict(packages)}, indent=2) + "\n"


def installed(directory: Path, packages: Mapping[str, str]) -> bool:
    """True when this manifest's packages are installed there already."""
    modules = directory / "node_modules"
    package_json = directory / "package.json"
    return (
        package_json.is_file()
        and package_json.read_text() == manifest(packages)
        and all((modules / name / "package.json").is_file() for name in packages)
    )


def npm_and_node() -> tuple[str, str]:
    """npm and node from PATH, or ToolsUnavailable naming the one that is missing."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        missing = " and ".join(name for name, path in (("npm", npm), ("node", node)) if not path)
        raise ToolsUnavailable(
            f"{missing} not found on PATH: the suite runs npm packages under Node 20+ "
            "(Debian: apt-get install nodejs npm)"
        )
    return npm, node


def ensure_installed(directory: Path, packages: Mapping[str, str]) -> Path:
    """The directory with the pinned packages installed, installing them if need be."""
    npm, _ = npm_and_node()
    if installed(directory, packages):
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{directory.name}-", dir=directory.parent))
    (staging / "package.json").write_text(manifest(packages))
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
    shutil.rmtree(directory, ignore_errors=True)
    staging.replace(directory)
    return directory
