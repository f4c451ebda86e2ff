"""The per-request context: who is calling, the shared services, and this request's loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from mychangsha.services import Services

LoaderT = TypeVar("LoaderT", bound=DataLoader[Any, Any])


@dataclass
class Context:
    """Built once per request (or websocket connection); DataLoaders never outlive it."""

    services: Services
    connection: HTTPConnection | None = None
    citizen_id: str | None = None
    _loaders: dict[Callable[[Services], Any], DataLoader[Any, Any]] = field(default_factory=dict)

    def loader(self, loader_class: Callable[[Services], LoaderT]) -> LoaderT:
        """This request's instance of a loader, created on first use so unused ones cost nothing.

        A loader class takes the Services as its only constructor argument; keeping them in
        a registry keyed by class lets a new domain add loaders without touching this module.
        """
        existing = self._loaders.get(loader_class)
        if existing is None:
            created = loader_class(self.services)
            self._loaders[loader_class] = created
            return created
        return existing  # type: ignore[return-value]
