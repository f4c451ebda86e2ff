"""A tiny real upstream for the client's tests: counts requests and fails on demand.

All state lives on `app.state` so a test (same process, other thread) can read counters and
flip faults directly: `counts` by path, `fail_with` (a status every /data request answers
with), `delay_ms` (added before every /data answer), `fail_uploads` (how many /upload
requests answer 503 after reading their whole body). `/echo` shows what reached the server,
`/upload` the parts of a multipart body.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


def reset(app: Starlette) -> None:
    """Counters to zero, no faults."""
    app.state.counts = Counter()
    app.state.fail_with = None
    app.state.delay_ms = 0
    app.state.fail_uploads = 0


def _count(request: Request) -> int:
    counts: Counter[str] = request.app.state.counts
    counts[request.url.path] += 1
    return counts[request.url.path]


async def data(request: Request) -> Response:
    """A resource whose body says how often it was served, so tests can tell fresh from stale."""
    served = _count(request)
    state = request.app.state
    if state.delay_ms:
        await asyncio.sleep(state.delay_ms / 1000)
    if state.fail_with is not None:
        return JSONResponse({"error": "injected"}, status_code=state.fail_with)
    body: dict[str, object] = {"name": request.path_params["name"], "served": served}
    if request.query_params:
        body["query"] = dict(request.query_params)
    if request.method != "GET":
        body["received"] = await request.json()
        body["idempotencyKey"] = request.headers.get("idempotency-key")
    return JSONResponse(body, status_code=201 if request.method == "POST" else 200)


async def echo(request: Request) -> Response:
    """The query exactly as it came over the wire, its decoded pairs and the request headers.

    The raw query is the only way to see the client's encoding (`%2B` versus a `+` that the
    server would read as a space) and that a key repeats; the count tells cache hits apart.
    """
    return JSONResponse(
        {
            "served": _count(request),
            "rawQuery": request.scope["query_string"].decode("latin-1"),
            "pairs": [list(pair) for pair in request.query_params.multi_items()],
            "headers": dict(request.headers),
        }
    )


async def upload(request: Request) -> Response:
    """The parts of a multipart body as they arrived: text fields, and each file's fingerprint."""
    served = _count(request)
    fields: list[list[str]] = []
    files: list[dict[str, object]] = []
    async with request.form() as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                files.append(
                    {
                        "part": name,
                        "filename": value.filename,
                        "contentType": value.content_type,
                        "size": len(content),
                        "sha256": hashlib.sha256(content).hexdigest(),
                    }
                )
            else:
                fields.append([name, value])
    state = request.app.state
    if state.fail_uploads:
        state.fail_uploads -= 1
        return JSONResponse({"error": "injected"}, status_code=503)
    body = {
        "served": served,
        "contentType": request.headers.get("content-type"),
        "contentLength": request.headers.get("content-length"),
        "chunked": request.headers.get("transfer-encoding") == "chunked",
        "fields": fields,
        "files": files,
    }
    return JSONResponse(body, status_code=201)


async def slow(request: Request) -> Response:
    """Answer after `ms` milliseconds: beyond the client's read timeout it is a timeout."""
    _count(request)
    await asyncio.sleep(int(request.query_params.get("ms", "0")) / 1000)
    return JSONResponse({"slow": True})


async def status(request: Request) -> Response:
    """Answer with the status in the path and a JSON body naming it."""
    _count(request)
    code = int(request.path_params["code"])
    return JSONResponse({"status": code, "reason": "as requested"}, status_code=code)


async def garbage(request: Request) -> Response:
    """A 200 that is not JSON: a broken upstream."""
    _count(request)
    return PlainTextResponse("<html>not json</html>")


def create_app() -> Starlette:
    """A fresh upstream with zeroed counters."""
    methods = ["GET", "POST", "PUT", "DELETE"]
    app = Starlette(
        routes=[
            Route("/data/{name}", data, methods=methods),
            Route("/echo", echo),
            Route("/upload", upload, methods=["POST", "PUT"]),
            Route("/slow", slow, methods=methods),
            Route("/status/{code:int}", status, methods=methods),
            Route("/garbage", garbage),
        ]
    )
    reset(app)
    return app
