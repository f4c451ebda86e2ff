"""A field extension for fields that only resolve asynchronously (every mutation here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension


class AsyncFieldExtension(FieldExtension):
    """Subclasses implement `resolve_async`; a synchronous resolution is a wiring mistake."""

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        raise TypeError(f"{type(self).__name__} wraps asynchronous resolvers only")
