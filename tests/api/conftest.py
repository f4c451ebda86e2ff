"""Fixtures shared by the API tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.identity_client import Device, verified_device
from tests.conftest import SimulatorAdmin

# Makes a level-2 citizen (optionally a given name and ID number): its device and its `me`.
People = Callable[..., tuple[Device, dict[str, Any]]]


@pytest.fixture
def people(
    graph_url: str, sms_simulator: SimulatorAdmin, realname_simulator: SimulatorAdmin
) -> Iterator[People]:
    """Makes level-2 citizens (each its own phone, IP and identity), closed after the test."""
    devices: list[Device] = []

    def make(person: tuple[str, str] | None = None) -> tuple[Device, dict[str, Any]]:
        device, me = verified_device(
            graph_url, sms_simulator.base_url, realname_simulator.base_url, person=person
        )
        devices.append(device)
        return device, me

    yield make
    for device in devices:
        device.close()
