"""Fixtures of the conformance tests: the npm clients, citizens and pinned crowds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import People, people
from tests.api.test_crowd_subscription import Crowds
from tests.conformance.node_tools import ToolsUnavailable, ensure_tools
from tests.conftest import SimulatorAdmin

__all__ = ["People", "crowds", "node_tools", "people"]


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """The pinned npm clients, installed once; a failure, not a skip, when they cannot be had."""
    try:
        return ensure_tools()
    except ToolsUnavailable as exc:
        pytest.fail(f"conformance tools unavailable: {exc}", pytrace=False)


@pytest.fixture
def crowds(tourism_simulator: SimulatorAdmin) -> Iterator[Crowds]:
    """Pins attractions' visitors on the tourism simulator, unpinned however the test ends."""
    pins = Crowds(tourism_simulator)
    try:
        yield pins
    finally:
        pins.unpin_all()
