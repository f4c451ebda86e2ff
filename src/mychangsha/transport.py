"""GraphQL over HTTP as the spec says, on top of strawberry's ASGI view.

strawberry answers every result `200 application/json`. The GraphQL-over-HTTP spec asks more
of a server when the client accepts `application/graphql-response+json`: that media type in
the answer, and a 4xx status when the request failed before execution (parse, validation,
variable coercion), which then carries no `data` entry.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from cross_web import (
    AsyncHTTPRequestAdapter,
    HTTPException,
)  # what strawberry's views raise for bad requests
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from mychangsha.context import Context, bearer_token
from mychangsha.ide import render_ide_page
from mychangsha.uploads import MAX_MULTIPART_BYTES

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
CSRF_HEADERS = frozenset({"apollo-require-preflight", "x-mychangsha-csrf"})
APPLICATION_JSON = "application/json"


def _quality(accept: str) -> dict[str, float]:
    """Media types of an Accept header with their q-values."""
    out: dict[str, float] = {}
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out[fields[0].lower()] = q
    return out


def wants_graphql_response_json(accept: str | None) -> bool:
    """True when the client prefers the GraphQL response media type over plain JSON."""
    if not accept:
        return False
    q = _quality(accept)
    ours = q.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return ours > 0 and ours >= q.get(APPLICATION_JSON, 0.0)


def is_request_error(result: ExecutionResult) -> bool:
    """A failure before execution began: nothing ran, so there is no `data` to report."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


def _error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class GraphQLView(GraphQL[Context, None]):
    """strawberry's ASGI view with the spec's content negotiation, orjson and our context."""

    def __init__(self, schema: Any, *, ide: bool, graphql_path: str = "/graphql") -> None:
        super().__init__(
            schema, graphql_ide="graphiql" if ide else None, multipart_uploads_enabled=True
        )
        self._graphql_path = graphql_path

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        """The request's context over the process-wide services."""
        return Context(services=request.app.state.services, connection=request)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """File uploads (GraphQL multipart request spec), behind a CSRF guard and a size cap.

        A browser can send a multipart form to any site without a preflight; requiring a
        header no plain form can carry (Apollo's `apollo-require-preflight`, or ours) makes
        such a cross-site request fail. The size is checked on the declared length, before
        any byte is parsed or spooled to disk.
        """
        headers = {k.lower() for k in request.headers}
        if not headers & CSRF_HEADERS:
            raise HTTPException(
                400, "Uploads need an `apollo-require-preflight` or `x-mychangsha-csrf` header"
            )
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise HTTPException(411, "Uploads need a Content-Length")
        if int(length) > MAX_MULTIPART_BYTES:
            raise HTTPException(413, "The upload is larger than an application may be")
        return await super().parse_multipart(request)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A websocket presents its access token once, in `connection_init`.

        No token: the socket may still run public operations. A token that does not verify
        (expired, revoked, forged) closes the socket with 4403, so the client signs in again
        rather than silently losing its personal subscriptions.
        """
        if (
            bearer_token(None, context.connection_params) is not None
            and await context.claims() is None
        ):
            raise ConnectionRejectionError({"reason": "invalid access token"})
        return cast(UnsetType, UNSET)

    async def render_graphql_ide(self, request: Request) -> Response:
        """The IDE from locally served assets: it must work without internet."""
        return HTMLResponse(render_ide_page(self._graphql_path))

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than json and keeps Chinese readable."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson's decode error subclasses json's, so strawberry's 400 handling still applies."""
        return orjson.loads(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Drop `data` from request errors and remember them for the status code."""
        body = process_result(result)
        if is_request_error(result):
            body.pop("data", None)
            request.state.graphql_request_error = True
        return body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        negotiated = wants_graphql_response_json(request.headers.get("accept"))
        media_type = GRAPHQL_RESPONSE_JSON if negotiated else APPLICATION_JSON
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._http_error(request, exc, media_type)
        else:
            if response.media_type == APPLICATION_JSON or response.headers.get(
                "content-type", ""
            ).startswith(APPLICATION_JSON):
                response.headers["content-type"] = f"{media_type}; charset=utf-8"
                if negotiated and getattr(request.state, "graphql_request_error", False):
                    response.status_code = 400
        await response(scope, receive, send)

    @staticmethod
    def _http_error(request: Request, exc: HTTPException, media_type: str) -> Response:
        status = exc.status_code
        headers: dict[str, str] = {}
        if request.method == "GET" and "not allowed when using GET" in exc.reason:
            status, headers["allow"] = 405, "POST"
        elif status == 405:
            headers["allow"] = "GET, POST"
        return Response(
            _error_body(exc.reason, "BAD_USER_INPUT"),
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
            headers=headers,
        )
