"""GraphQL over HTTP as the spec says, on top of strawberry's ASGI view.

strawberry answers every result `200 application/json`. The GraphQL-over-HTTP spec asks more
of a server when the client accepts `application/graphql-response+json`: that media type in
the answer, and a 4xx status when the request failed before execution (parse, validation,
variable coercion), which then carries no `data` entry.

Which document a request runs is decided here too, before strawberry sees it: Automatic
Persisted Queries and the trusted-documents mode (persisted.py), over HTTP and websockets.
Batched requests (a JSON array of operations) are refused: each operation is its own request
(HTTP/2 multiplexes them), so rate limits, persisted documents and GET caching stay per
operation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson
from cross_web import (
    AsyncHTTPRequestAdapter,
    HTTPException,
    parse_content_type,
)  # what strawberry's views raise for bad requests
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from graphql.error import GraphQLFormattedError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from mychangsha.admission import Admission
from mychangsha.cache.policy import CachePolicy
from mychangsha.cache.policy import Scope as CacheScope
from mychangsha.context import Context, bearer_token
from mychangsha.hot_answers import HotAnswers
from mychangsha.ide import render_ide_page
from mychangsha.observability.metrics import WEBSOCKET_OPERATIONS
from mychangsha.observability.record import note_cache, note_codes, note_operation
from mychangsha.observability.recorder import note_citizen_of
from mychangsha.persisted import NOT_FOUND, PersistedQueries, PersistedQueryError
from mychangsha.response_caching import EXECUTIONS, CachedAnswer, CacheDecision, ResponseCaching
from mychangsha.schema.operation_rate_limit import operation_refusal
from mychangsha.uploads import MAX_MULTIPART_BYTES

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
CACHE_HEADER = "x-mychangsha-cache"
CSRF_HEADERS = frozenset({"apollo-require-preflight", "x-mychangsha-csrf"})
APPLICATION_JSON = "application/json"
MULTIPART_FORM_DATA = "multipart/form-data"
# Query-string parameters of a GraphQL GET request (a hash-only persisted query has no `query`).
GRAPHQL_GET_PARAMETERS = ("query", "extensions", "operationName", "variables")
MAX_VARIABLES_DEPTH = 32
"""Objects and lists in `variables`: far deeper than any input type of the schema nests, and
far below what the JSON encoder (255) and Python's recursion limit allow."""


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


def _nests_deeper(value: object, limit: int) -> bool:
    """True when JSON nests more than `limit` objects or lists; a loop, so never a recursion."""
    pending: list[tuple[dict[Any, Any] | list[Any], int]] = (
        [(value, 1)] if isinstance(value, dict | list) else []
    )
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _check_request_shape(request: GraphQLRequestData) -> None:
    """The GraphQL-over-HTTP spec's types for a request's members, refused with 400 otherwise.

    `query` and `operationName` are strings, `variables` and `extensions` objects (each may be
    absent or null). An object `operationName` would otherwise reach the cache key and fail
    there as a 500.
    """
    checks = (
        ("query", request.query, str),
        ("operationName", request.operation_name, str),
        ("variables", request.variables, dict),
        ("extensions", request.extensions, dict),
    )
    for name, value, kind in checks:
        if value is not None and not isinstance(value, kind):
            expected = "a string" if kind is str else "an object"
            raise CodedHTTPException(400, f"`{name}` must be {expected} or null", "BAD_USER_INPUT")


def _is_subscription(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation a request names is a subscription, which HTTP cannot carry.

    Parsed only when the text could hold one; a document that does not parse is left to
    the engine, which answers it with the usual 400.
    """
    if not query or "subscription" not in query:
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


def _error(message: str, code: str) -> dict[str, object]:
    return {"message": message, "extensions": {"code": code}}


def _error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [_error(message, code)]})


class CodedHTTPException(HTTPException):
    """A request refused before execution, with the error code the client branches on."""

    def __init__(self, status_code: int, reason: str, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


class PersistedWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws under the same document policy as HTTP (hash or trusted text)."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Run one operation, counted among the active ones while it lives."""
        with WEBSOCKET_OPERATIONS.track_inprogress():
            await super().run_operation(operation)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Resolve the document first; a refused one gets an `error` message and never runs."""
        view = cast(GraphQLView, self.view)
        payload = message["payload"]
        try:
            query = await view.persisted.resolve(
                self.context.services.apq, payload.get("query"), payload.get("extensions")
            )
        except PersistedQueryError as exc:
            if self.connection_acknowledged:
                error: GraphQLFormattedError = {
                    "message": exc.message,
                    "extensions": {"code": exc.code},
                }
                refused: ErrorMessage = {"id": message["id"], "type": "error", "payload": [error]}
                await self.send_message(refused)
                return
        else:
            if query is not None:
                payload["query"] = query
        await super().handle_subscribe(message)


class TextFrameWebSocket(ASGIWebSocketAdapter):
    """Sends every protocol message as a text frame.

    graphql-transport-ws carries JSON in text frames: the reference client (npm graphql-ws),
    and with it Apollo Client, urql, Relay, GraphiQL and WeChat's `wx.connectSocket`, drop a
    socket that answers in binary frames. The view encodes with orjson to bytes (the fast path
    for HTTP bodies); here the bytes, which are UTF-8 JSON, go out as text.
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        """One message, one text frame."""
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLView(GraphQL[Context, None]):
    """strawberry's ASGI view with the spec's content negotiation, orjson and our context."""

    graphql_transport_ws_handler_class = PersistedWSHandler
    websocket_adapter_class = TextFrameWebSocket

    def __init__(
        self,
        schema: Any,
        *,
        ide: bool,
        persisted: PersistedQueries,
        caching: ResponseCaching | None = None,
        hot: HotAnswers | None = None,
        admission: Admission | None = None,
        graphql_path: str = "/graphql",
        allowed_origins: Sequence[str] = (),
        allowed_origin_pattern: str | None = None,
    ) -> None:
        # The legacy graphql-ws protocol would bypass the trusted-documents check.
        protocols = (
            (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
            if persisted.trusted_only
            else (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if ide else None,
            multipart_uploads_enabled=True,
            subscription_protocols=protocols,
            # Browser pages on these origins (the H5 pages) may open sockets, as they may
            # make CORS requests; same-origin pages and non-browser clients always may.
            allowed_origins=allowed_origins,
        )
        self._graphql_path = graphql_path
        self._origin_pattern = (
            None if allowed_origin_pattern is None else re.compile(allowed_origin_pattern)
        )
        self.persisted = persisted
        self.caching = caching
        self.hot = hot if caching is not None else None
        self.admission = admission or Admission.unlimited()

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """A cross-origin socket from the same origins CORS lets call (list, then pattern)."""
        if super().is_websocket_origin_allowed(request, origin):
            return True
        return self._origin_pattern is not None and bool(self._origin_pattern.fullmatch(origin))

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

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """The IDE only for a page load: a GET preferring HTML and carrying no GraphQL request.

        A hash-only persisted GET has no `query` but is a request all the same, and curl or an
        HTTP library sends `Accept: */*`: both get the answer, never the IDE's HTML.
        """
        if request.method != "GET" or any(
            name in request.query_params for name in GRAPHQL_GET_PARAMETERS
        ):
            return False
        q = _quality(request.headers.get("accept", ""))
        return q.get("text/html", 0.0) > max(
            q.get(APPLICATION_JSON, 0.0), q.get(GRAPHQL_RESPONSE_JSON, 0.0)
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """The IDE from locally served assets: it must work without internet."""
        return HTMLResponse(render_ide_page(self._graphql_path))

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than json and keeps Chinese readable."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson's decode error subclasses json's, so strawberry's 400 handling still applies."""
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        """Every JSON the protocol carries (a body, GET `variables`/`extensions`, multipart
        `operations`/`map`) is an object, or a (refused) batch: strawberry would fail on
        `"text"` or `null` with a 500."""
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise CodedHTTPException(
                400, "The JSON of a GraphQL request must be an object", "BAD_USER_INPUT"
            )
        return parsed

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """A POST body is JSON (or multipart, for uploads): 415 for anything else.

        A cross-site HTML form can POST `application/x-www-form-urlencoded`, `text/plain` or
        `multipart/form-data` without a preflight; the first two are refused here, multipart
        needs a CSRF header (parse_multipart).
        """
        if request.method == "POST":
            media_type, _ = parse_content_type(request.content_type or "")
            if APPLICATION_JSON not in media_type and media_type != MULTIPART_FORM_DATA:
                raise CodedHTTPException(
                    415,
                    "A GraphQL POST must be application/json (multipart/form-data for uploads)",
                    "BAD_USER_INPUT",
                )
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, GraphQLRequestData):
            _check_request_shape(parsed)
        if isinstance(parsed, GraphQLRequestData) and _nests_deeper(
            parsed.variables, MAX_VARIABLES_DEPTH
        ):
            raise CodedHTTPException(
                400,
                f"The variables nest deeper than {MAX_VARIABLES_DEPTH} levels",
                "BAD_USER_INPUT",
            )
        return parsed

    def _validate_batch_request(
        self, request_data: list[GraphQLRequestData], protocol: Any
    ) -> None:
        """Batches are refused with a clear answer (see the module docstring for why)."""
        raise CodedHTTPException(
            400,
            "Batched requests are not accepted: send each operation as its own request",
            "BAD_USER_INPUT",
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        """Swap in the persisted or trusted document the request names, or refuse it unrun."""
        if isinstance(request_data, GraphQLRequestData):
            try:
                request_data.query = await self.persisted.resolve(
                    context.services.apq, request_data.query, request_data.extensions
                )
            except PersistedQueryError as exc:
                raise CodedHTTPException(exc.status, exc.message, exc.code) from exc
            if _is_subscription(request_data.query, request_data.operation_name):
                raise CodedHTTPException(
                    400,
                    "Subscriptions run over graphql-transport-ws: open a websocket on this path",
                    "BAD_USER_INPUT",
                )
            await self._answer_from_cache(request, request_data, context)
        EXECUTIONS.inc()
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def _answer_from_cache(
        self, request: Request, request_data: GraphQLRequestData, context: Context
    ) -> None:
        """Raise CachedAnswer when a stored answer exists; else note where to keep this one."""
        if self.caching is None:
            return
        decision = await self.caching.decide(
            context, request_data.query, request_data.operation_name, request_data.variables
        )
        if decision is None:
            return
        request.state.cache_decision = decision
        refusal = await operation_refusal(context)
        if refusal is not None:
            if self.hot is not None:
                self.hot.refused(request.scope, refusal.retry_after_seconds)
            return  # over budget: the engine answers RATE_LIMITED (the verdict is reused)
        lookup = await context.services.response_cache.get(decision.base, decision.tags)
        if lookup is None:
            return  # Redis is away: answer without the cache
        if lookup.body is not None:
            note_operation(decision.policy.operation, "query")
            note_citizen_of(context)
            note_cache("hit")
            raise CachedAnswer(lookup.body, decision)
        note_cache("miss")
        request.state.cache_key = lookup.key

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Drop `data` from request errors and remember them for the status code."""
        request.state.answer_clean = not result.errors
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
            async with self.admission.turn():
                response = await self.run(request)
        except CachedAnswer as hit:
            # Only clean answers are stored, and their body is the same under either media
            # type: the negotiated one is named here, per request.
            response = Response(hit.body, media_type=f"{media_type}; charset=utf-8")
            response.headers[CACHE_HEADER] = "hit"
            _cache_headers(request, response, hit.decision.policy)
            self._teach_hot_lane(request, hit.decision)
        except HTTPException as exc:
            response = self._http_error(request, exc, media_type)
        else:
            await self._keep_answer(request, response)
            if response.media_type == APPLICATION_JSON or response.headers.get(
                "content-type", ""
            ).startswith(APPLICATION_JSON):
                response.headers["content-type"] = f"{media_type}; charset=utf-8"
                if negotiated and getattr(request.state, "graphql_request_error", False):
                    response.status_code = 400
        await response(scope, receive, send)

    async def _keep_answer(self, request: Request, response: Response) -> None:
        """Store a clean, cacheable answer; set the GET answer's Cache-Control either way."""
        decision: CacheDecision | None = getattr(request.state, "cache_decision", None)
        key: str | None = getattr(request.state, "cache_key", None)
        clean = getattr(request.state, "answer_clean", False) and response.status_code == 200
        if decision is not None and clean:
            if key is not None:
                services = request.app.state.services
                await services.response_cache.put(
                    key, bytes(response.body), decision.policy.max_age
                )
                response.headers[CACHE_HEADER] = "miss"
            _cache_headers(request, response, decision.policy)
            self._teach_hot_lane(request, decision)
        elif request.method == "GET":
            response.headers["cache-control"] = "no-store"

    def _teach_hot_lane(self, request: Request, decision: CacheDecision) -> None:
        """A public GET answer in the cache: the next identical GET may take the hot lane.

        The lane keys its routes by Accept too, so the content type learnt here is the one
        this Accept negotiates.
        """
        if self.hot is not None and request.method == "GET":
            negotiated = wants_graphql_response_json(request.headers.get("accept"))
            media_type = GRAPHQL_RESPONSE_JSON if negotiated else APPLICATION_JSON
            headers = {
                "content-type": f"{media_type}; charset=utf-8",
                CACHE_HEADER: "hit",
                **_get_cache_headers(decision.policy),
            }
            self.hot.learn(request.scope, decision, list(headers.items()))

    @staticmethod
    def _http_error(request: Request, exc: HTTPException, media_type: str) -> Response:
        status = exc.status_code
        code = exc.code if isinstance(exc, CodedHTTPException) else "BAD_USER_INPUT"
        note_codes((code,))
        headers: dict[str, str] = {}
        if code == NOT_FOUND:
            # A miss must never be cached by a CDN: the next request registers the document.
            headers["cache-control"] = "private, no-cache, must-revalidate"
        if request.method == "GET" and "not allowed when using GET" in exc.reason:
            status, headers["allow"] = 405, "POST"
        elif status == 405:
            headers["allow"] = "GET, POST"
        return Response(
            _error_body(exc.reason, code),
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
            headers=headers,
        )


def _cache_headers(request: Request, response: Response, policy: CachePolicy) -> None:
    """Cache-Control from the operation's policy on GET answers, which shared caches may keep.

    Answers vary with the language and the negotiated media type; private ones with the
    citizen's token, which a shared cache must never serve to someone else.
    """
    if request.method != "GET":
        return
    response.headers.update(_get_cache_headers(policy))


def _get_cache_headers(policy: CachePolicy) -> dict[str, str]:
    """Cache-Control and Vary of a GET answer under a policy."""
    vary = ["Accept", "Accept-Language"]
    if policy.scope is CacheScope.PRIVATE:
        vary.append("Authorization")
    return {"cache-control": policy.cache_control(), "vary": ", ".join(vary)}
