"""Every simulator by name: `mychangsha simulate NAME` and the dev stack start them from here.

A new upstream simulator (hospital FHIR, government, payment …) is one entry in `SIMULATORS`
with a port of its own, fixed forever: an upstream's default base URL
(`default_base_url(name)`) then never moves when another simulator is added. Factories import
their module lazily, so listing the names stays cheap and one simulator's heavy dependencies
never load for another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from starlette.applications import Starlette

__all__ = [
    "SIMULATORS",
    "SimulatorSpec",
    "UnknownSimulator",
    "build_simulator",
    "default_base_url",
]


@dataclass(frozen=True, slots=True)
class SimulatorSpec:
    """How to build one simulator and the port it listens on by default."""

    factory: Callable[[], Starlette]
    default_port: int


def _tourism() -> Starlette:
    from mychangsha.simulators.tourism import create_app

    return create_app()


def _sms() -> Starlette:
    from mychangsha.simulators.sms import create_app

    return create_app()


def _wechat() -> Starlette:
    from mychangsha.simulators.wechat import create_app

    return create_app()


def _realname() -> Starlette:
    from mychangsha.simulators.realname import create_app

    return create_app()


def _hospital() -> Starlette:
    from mychangsha.simulators.hospital import create_app

    return create_app()


def _payment() -> Starlette:
    from mychangsha.simulators.payment import create_app

    return create_app()


def _government() -> Starlette:
    from mychangsha.simulators.government import create_app

    return create_app()


SIMULATORS: Final[Mapping[str, SimulatorSpec]] = MappingProxyType(
    {
        "tourism": SimulatorSpec(_tourism, 8101),
        "sms": SimulatorSpec(_sms, 8102),
        "wechat": SimulatorSpec(_wechat, 8103),
        "realname": SimulatorSpec(_realname, 8104),
        "hospital": SimulatorSpec(_hospital, 8105),
        "payment": SimulatorSpec(_payment, 8106),
        "government": SimulatorSpec(_government, 8107),
    }
)


class UnknownSimulator(ValueError):
    """No simulator has this name; the message lists the ones that exist."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.known = tuple(sorted(SIMULATORS))
        super().__init__(f"unknown simulator {name!r}; known: {', '.join(self.known)}")


def _spec(name: str) -> SimulatorSpec:
    spec = SIMULATORS.get(name)
    if spec is None:
        raise UnknownSimulator(name)
    return spec


def build_simulator(name: str) -> Starlette:
    """A fresh app of the named simulator."""
    return _spec(name).factory()


def default_base_url(name: str) -> str:
    """Where the dev stack serves the named simulator unless its port is taken."""
    return f"http://127.0.0.1:{_spec(name).default_port}"
