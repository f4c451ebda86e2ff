"""The "naive strawberry" baseline: the same schema and services, written without care.

What a team gets from the tutorials: strawberry's own ASGI view with the standard library's
json, no parser or validation cache (every request parses and validates its document), no
DataLoaders (each field asks for its own rows: a loader lives for one `load` only, so
nothing is batched or shared), no persisted documents and no response cache. Upstream
clients, their Redis caches and the database are the graph's, so the difference measured is
the request path alone.

Run as `uvicorn --factory bench.naive:create_app`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import ASGIApp
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from mychangsha import app as graph_app
from mychangsha.context import Context, LoaderT
from mychangsha.services import Services
from mychangsha.settings import Settings


class UnbatchedContext(Context):
    """A new loader for every call: each `load` is its own batch of one, never cached."""

    def loader(self, loader_class: Callable[[Services], LoaderT]) -> LoaderT:
        return loader_class(self.services)


class NaiveView(GraphQL[Context, None]):
    """strawberry's view as documented, with the graph's context."""

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return UnbatchedContext(services=request.app.state.services, connection=request)


def naive_endpoint(schema: strawberry.Schema, settings: Settings) -> ASGIApp:
    """The schema without its extensions (parser/validation caches, limits) behind NaiveView."""
    bare = copy.copy(schema)
    bare.extensions = ()
    return NaiveView(bare, graphql_ide=None)


def create_app() -> Starlette:
    """The graph application with the naive endpoint on /graphql."""
    return graph_app.create_app(Settings(response_cache=False), endpoint=naive_endpoint)
