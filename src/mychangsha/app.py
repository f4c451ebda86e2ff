"""The Starlette application: routes, middleware and the lifespan that owns every client."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from mychangsha.admission import Admission
from mychangsha.cache import redis as redis_cache
from mychangsha.cache.responses import following
from mychangsha.hot_answers import HotAnswers, HotLaneMiddleware
from mychangsha.http_guards import guards
from mychangsha.ide import ide_routes
from mychangsha.integrations.errors import UpstreamError
from mychangsha.observability.access import AccessLogMiddleware
from mychangsha.observability.metrics import OperationNames, exposition, worker_exited
from mychangsha.observability.tracing import enable_tracing, tracing_middleware
from mychangsha.persisted import persisted_queries
from mychangsha.platform.clock import epoch_seconds
from mychangsha.resolvers.certificates import DOWNLOAD_PATH, download
from mychangsha.resolvers.government import WEBHOOK_PATH, WebhookRejected, apply_webhook
from mychangsha.resolvers.payment_notifications import NotificationRejected, apply_notification
from mychangsha.resolvers.payment_orders import CALLBACK_PATH
from mychangsha.response_caching import ResponseCaching
from mychangsha.schema import build_schema
from mychangsha.schema.subgraphs import build_subgraph_schema
from mychangsha.services import Services, open_services
from mychangsha.settings import Settings
from mychangsha.storage import mongo
from mychangsha.sync.crowd_watch import background_crowd_watch
from mychangsha.sync.scheduler import (
    background_poll,
    background_reminders,
    background_sync,
    run_stale,
)
from mychangsha.transport import GraphQLView

log = logging.getLogger(__name__)

GRAPHQL_PATH = "/graphql"


async def healthz(request: Request) -> Response:
    """Liveness: the process answers; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: 503 unless MongoDB and Redis both answer, so load balancers route around us."""
    services: Services = request.app.state.services
    checks = {
        "mongodb": await mongo.ping(services.mongo),
        "redis": await redis_cache.ping(services.redis),
    }
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def jwks(request: Request) -> Response:
    """The public keys that verify access tokens (and, later, signed ticket QR codes).

    Cached briefly by clients and gates: a rotation is published here before any token is
    signed with the new key, because every process reloads keys within the cache window.
    """
    services: Services = request.app.state.services
    return JSONResponse(
        await services.identity.keys.jwks(),
        headers={"cache-control": "public, max-age=300"},
    )


async def payment_callback(request: Request) -> Response:
    """The gateway's signed notification: applied once; anything unverifiable is refused."""
    services: Services = request.app.state.services
    body = await request.body()
    try:
        await apply_notification(services, request.headers, body)
    except NotificationRejected as exc:
        return JSONResponse({"code": "FAIL", "message": str(exc)}, status_code=401)
    except UpstreamError as exc:  # the hospital could not be told yet: the gateway retries
        log.warning("payment notification not applied yet: %s", exc)
        return JSONResponse({"code": "FAIL", "message": "try again later"}, status_code=503)
    return Response(status_code=204)


async def government_webhook(request: Request) -> Response:
    """The platform's signed status webhook: applied once, told to the citizen's sockets."""
    services: Services = request.app.state.services
    try:
        await apply_webhook(services, request.headers, await request.body(), now=epoch_seconds())
    except WebhookRejected as exc:
        return JSONResponse({"error": str(exc)}, status_code=401)
    return Response(status_code=204)


async def certificate_download(request: Request) -> Response:
    """An e-certificate's PDF behind a short-lived signed link (see resolvers.certificates)."""
    services: Services = request.app.state.services
    pdf = await download(
        services, request.path_params["certificate_id"], request.query_params.get("t", "")
    )
    if pdf is None:
        return JSONResponse({"error": "the link is not valid (any more)"}, status_code=403)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"cache-control": "private, no-store", "x-content-type-options": "nosniff"},
    )


async def metrics(request: Request) -> Response:
    """Prometheus exposition of this process's metrics (of every worker's, when shared)."""
    body, media_type = exposition()
    return Response(body, media_type=media_type)


async def _start(services: Services) -> None:
    try:
        await services.ensure_indexes()
    except Exception:
        log.exception("could not create indexes at start; will serve and retry on next start")
    if services.settings.catalogue_sync_on_start:
        await run_stale(services, max_age=services.settings.catalogue_sync_seconds)


def _operation_names(view: ASGIApp) -> OperationNames:
    """The trusted documents' operation names (the view's, read once at start): the only
    ones metrics are labelled with."""
    trusted = view.persisted.trusted if isinstance(view, GraphQLView) else None
    return OperationNames.of_documents(trusted.documents.values() if trusted else ())


def _hot_lane(view: ASGIApp) -> list[Middleware]:
    """The hot lane in front of the router, when the view keeps one (the naive one does not)."""
    if isinstance(view, GraphQLView) and view.hot is not None:
        return [Middleware(HotLaneMiddleware, hot=view.hot, path=GRAPHQL_PATH)]
    return []


GraphQLEndpoint = Callable[[strawberry.Schema, Settings], ASGIApp]


def graphql_endpoint(schema: strawberry.Schema, settings: Settings) -> ASGIApp:
    """The graph's GraphQL over HTTP and websockets, with persisted documents and caching."""
    return GraphQLView(
        schema,
        ide=settings.ide_enabled,
        persisted=persisted_queries(settings, schema._schema),
        caching=ResponseCaching(schema._schema) if settings.response_cache else None,
        hot=HotAnswers(
            per_ip_per_minute=settings.operation_rate_per_ip,
            trusted_proxy_hops=settings.trusted_proxy_hops,
        ),
        admission=Admission(settings.max_concurrent_operations),
        graphql_path=GRAPHQL_PATH,
        allowed_origins=settings.cors_origins,
        allowed_origin_pattern=settings.cors_origin_pattern,
    )


def create_app(
    settings: Settings | None = None, *, endpoint: GraphQLEndpoint = graphql_endpoint
) -> Starlette:
    """Build the graph application; uvicorn calls this as a factory in every worker.

    `endpoint` builds what answers on /graphql; the benchmark's "naive strawberry" baseline
    swaps it for strawberry's plain view over the same schema and services.
    """
    settings = settings or Settings()
    # httpx logs every request URL at INFO; some upstream contracts (WeChat's code2session)
    # put secrets in the query string.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if settings.otel_tracing:
        enable_tracing()
    schema = (
        build_schema(production=settings.is_production, traced=settings.otel_tracing)
        if settings.subgraph is None
        else build_subgraph_schema(settings.subgraph, production=settings.is_production)
    )
    view = endpoint(schema, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            app.state.services = services
            await _start(services)
            async with (
                background_sync(services, settings.catalogue_sync_seconds),
                background_poll(services, settings.government_poll_seconds),
                background_crowd_watch(services),
                background_reminders(services, settings.reminder_poll_seconds),
                following(services.response_cache),
            ):
                yield
        worker_exited(os.getpid())

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route(CALLBACK_PATH, payment_callback, methods=["POST"]),
        Route(WEBHOOK_PATH, government_webhook, methods=["POST"]),
        Route(f"{DOWNLOAD_PATH}/{{certificate_id}}", certificate_download, methods=["GET"]),
        Route(GRAPHQL_PATH, view, methods=["GET", "POST"]),
        WebSocketRoute(GRAPHQL_PATH, view),
    ]
    if settings.ide_enabled:
        routes.extend(ide_routes(GRAPHQL_PATH))
    return Starlette(
        routes=routes,
        middleware=[
            *tracing_middleware(settings.otel_tracing),
            Middleware(AccessLogMiddleware, operations=_operation_names(view)),
            *guards(settings),
            *_hot_lane(view),
        ],
        lifespan=lifespan,
    )
