"""Modules that other entry points import first must import on their own.

An import cycle shows only when a module is the first of its cycle to be imported, which in
the app is rarely the case but in a job runner, a CLI command or a single test often is.
Each module is imported in a fresh interpreter, so what earlier tests imported cannot hide it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

FIRST_IMPORTED_ELSEWHERE = (
    "mychangsha.response_caching",
    "mychangsha.sync.reminders",
    "mychangsha.resolvers.notifications",
    "mychangsha.resolvers.pending_bookings",
    "mychangsha.resolvers.payment_notifications",
    "mychangsha.schema.cache_hints",
)


@pytest.mark.parametrize("module", FIRST_IMPORTED_ELSEWHERE)
def test_the_module_imports_on_its_own(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
