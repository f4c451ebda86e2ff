"""Fixtures of the conformance tests: the npm clients, citizens and pinned crowds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import People, people
from tests.api.test_crowd_subscription import crowds
from tests.conformance.node_tools import ToolsUnavailable, ensure_tools

__all__ = ["People", "crowds", "node_tools", "people"]


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """The pinned npm clients, installed once; a failure, not a skip, when they cannot be had."""
    try:
        return ensure_tools()
    except ToolsUnavailable as exc:
        pytest.fail(f"conformance tools unavailable: {exc}", pytrace=False)
