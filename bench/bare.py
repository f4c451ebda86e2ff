"""The ceiling: a bare Starlette endpoint returning the same JSON bytes as the graph.

Nothing is parsed, looked up or computed: the route hands back bytes read at start, under
the same uvicorn (uvloop, httptools) as the graph. Run as
`uvicorn --factory bench.bare:create_app` with BENCH_BARE_BODY naming the file of bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app() -> Starlette:
    """The endpoint on /graphql (GET and POST) and a /healthz to wait on."""
    body = Path(os.environ["BENCH_BARE_BODY"]).read_bytes()

    async def graphql(request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
