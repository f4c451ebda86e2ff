"""Every simulator by name: `mychangsha simulate NAME` and the dev stack start them from here.

A new upstream simulator (hospital FHIR, government, SMS, payment …) is one entry in
`SIMULATORS`. Factories import their module lazily, so listing the names stays cheap and one
simulator's heavy dependencies never load for another.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

__all__ = ["SIMULATORS", "UnknownSimulator", "build_simulator"]


def _tourism() -> Starlette:
    from mychangsha.simulators.tourism import create_app

    return create_app()


SIMULATORS: dict[str, Callable[[], Starlette]] = {
    "tourism": _tourism,
}


class UnknownSimulator(ValueError):
    """No simulator has this name; the message lists the ones that exist."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.known = tuple(sorted(SIMULATORS))
        super().__init__(f"unknown simulator {name!r}; known: {', '.join(self.known)}")


def build_simulator(name: str) -> Starlette:
    """A fresh app of the named simulator."""
    factory = SIMULATORS.get(name)
    if factory is None:
        raise UnknownSimulator(name)
    return factory()
