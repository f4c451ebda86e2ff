"""Browser-facing HTTP over real requests: CORS for listed origins only, security headers on
every answer (probes, metrics, errors, 404s, the IDE, answers from the hot lane), HSTS in
production, and personal answers kept out of caches."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from mychangsha.settings import APP_WEB_ORIGINS, Settings
from tests.api.identity_client import Device, random_ip
from tests.conftest import SimulatorAdmin
from tests.support.cache_control import assert_cache_control

APP_ORIGIN = APP_WEB_ORIGINS[1]
LOCAL_DEV_ORIGIN = "http://localhost:5173"
FOREIGN_ORIGINS = (
    "https://evil.example",
    "https://m.mychangsha.cn.evil.example",
    "https://evilm.mychangsha.cn",
    "http://m.mychangsha.cn",  # the app's host, but not over HTTPS
    "null",  # sandboxed iframes and file: pages
)
PUBLIC_QUERY = "{ attractions(first: 2) { edges { node { id } } } }"
ME = "{ me { id maskedPhone } }"


def preflight(
    url: str, origin: str, headers: str = "authorization, content-type"
) -> httpx.Response:
    """What a browser asks before a cross-origin POST with a token."""
    return httpx.options(
        f"{url}/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": headers,
        },
        timeout=10,
    )


def cors_headers(response: httpx.Response) -> dict[str, str]:
    """Every access-control-* header of an answer."""
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def assert_hardened(response: httpx.Response) -> None:
    """The headers every answer carries, whatever it is."""
    headers = response.headers
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert headers.get("x-frame-options") == "DENY", where
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, where
    if headers.get("content-type", "").startswith("text/html"):
        # The IDE page states its own sources in a <meta> policy; both apply in a browser.
        assert "default-src" not in policy and "script-src" not in policy, where
    else:
        assert "default-src 'none'" in policy, where


# --- CORS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [APP_ORIGIN, LOCAL_DEV_ORIGIN])
def test_a_listed_origin_may_preflight(graph_url: str, origin: str) -> None:
    response = preflight(graph_url, origin, "authorization, content-type, apollo-require-preflight")
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "apollo-require-preflight" in allowed
    assert "access-control-allow-credentials" not in response.headers  # tokens, not cookies
    assert_hardened(response)


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_any_other_origin_gets_no_cors_headers(graph_url: str, origin: str) -> None:
    refused = preflight(graph_url, origin)
    assert refused.status_code == 403
    assert cors_headers(refused) == {}
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert_hardened(refused)
    simple = httpx.post(
        f"{graph_url}/graphql",
        json={"query": "{ __typename }"},
        headers={"origin": origin},
        timeout=10,
    )
    assert cors_headers(simple) == {}


def test_a_listed_origin_reads_answers_and_their_request_id(graph_url: str) -> None:
    response = httpx.post(
        f"{graph_url}/graphql",
        json={"query": "{ __typename }"},
        headers={"origin": APP_ORIGIN},
        timeout=10,
    )
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"]
    assert "Origin" in response.headers["vary"]


def test_answers_without_an_origin_still_vary_on_it(graph_url: str) -> None:
    """A shared cache must not hand an answer without CORS headers to a browser origin."""
    response = httpx.get(
        f"{graph_url}/graphql",
        params={"query": PUBLIC_QUERY},
        headers={"accept": "application/json"},
        timeout=10,
    )
    assert "Origin" in response.headers["vary"]
    assert "Accept-Language" in response.headers["vary"]  # the answer's own Vary is kept


def test_production_allows_no_local_origin_by_default(production_url: str) -> None:
    assert preflight(production_url, LOCAL_DEV_ORIGIN).status_code == 403
    assert preflight(production_url, APP_ORIGIN).status_code == 200


def test_allowed_origins_are_a_comma_separated_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", " https://a.example , https://b.example:8443,")
    monkeypatch.setenv("ENVIRONMENT", "development")
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example:8443"]
    assert settings.cors_origin_pattern is None  # an explicit list is the whole list
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "")
    assert Settings().cors_origins == []
    for wrong in ("https://m.mychangsha.cn/", "*", "m.mychangsha.cn", "https://a.example/app"):
        monkeypatch.setenv("CORS_ALLOWED_ORIGINS", wrong)
        with pytest.raises(ValidationError, match="not an origin"):
            Settings()


# --- security headers on every answer --------------------------------------------------------


def _requests(graph_url: str) -> dict[str, Callable[[], httpx.Response]]:
    """One request for each kind of answer the process sends."""
    url = graph_url
    unique = f"{PUBLIC_QUERY} # {uuid.uuid4()}"

    def graphql_get() -> httpx.Response:
        return httpx.get(
            f"{url}/graphql",
            params={"query": unique},
            headers={"accept": "application/json"},
            timeout=10,
        )

    return {
        "healthz": lambda: httpx.get(f"{url}/healthz", timeout=10),
        "readyz": lambda: httpx.get(f"{url}/readyz", timeout=10),
        "metrics": lambda: httpx.get(f"{url}/metrics", timeout=10),
        "jwks": lambda: httpx.get(f"{url}/.well-known/jwks.json", timeout=10),
        "graphql-post": lambda: httpx.post(
            f"{url}/graphql", json={"query": "{ __typename }"}, timeout=10
        ),
        "graphql-400": lambda: httpx.post(
            f"{url}/graphql",
            json={"query": "{ nope }"},
            headers={"accept": "application/graphql-response+json"},
            timeout=10,
        ),
        "graphql-get-miss": graphql_get,
        "graphql-get-hot-lane": graphql_get,  # the miss taught the hot lane its answer
        "not-found": lambda: httpx.get(f"{url}/no/such/page", timeout=10),
        "method-not-allowed": lambda: httpx.put(f"{url}/graphql", json={}, timeout=10),
        "payment-callback-refused": lambda: httpx.post(
            f"{url}/callbacks/payment", json={}, timeout=10
        ),
        "unsupported-media-type": lambda: httpx.post(
            f"{url}/graphql", content=b"query=x", timeout=10
        ),
        "too-large": lambda: httpx.post(
            f"{url}/graphql", content=b"x" * (2 * 1024 * 1024), timeout=30
        ),
        "ide-page": lambda: httpx.get(
            f"{url}/graphql", headers={"accept": "text/html"}, timeout=10
        ),
        "ide-asset-missing": lambda: httpx.get(f"{url}/ide/assets/nope.js", timeout=10),
    }


def _hot_lane_answers(graph_url: str) -> float:
    """How many answers the hot lane has sent from memory (its Prometheus counter)."""
    text = httpx.get(f"{graph_url}/metrics", timeout=10).text
    found = re.search(r"^mychangsha_hot_answers_total (\S+)$", text, re.MULTILINE)
    assert found, "the hot lane's counter is exported"
    return float(found.group(1))


def test_every_kind_of_answer_is_hardened(graph_url: str) -> None:
    hot_before = _hot_lane_answers(graph_url)
    statuses = {}
    for name, send in _requests(graph_url).items():
        response = send()
        statuses[name] = response.status_code
        assert_hardened(response)
        assert "strict-transport-security" not in response.headers, name  # not production
        if name.startswith("graphql-get"):
            statuses[name] = response.headers.get("x-mychangsha-cache", "")
    # The requests did reach what they meant to reach.
    assert statuses["healthz"] == statuses["graphql-post"] == statuses["ide-page"] == 200
    assert statuses["graphql-400"] == 400 and statuses["not-found"] == 404
    assert statuses["method-not-allowed"] == 405 and statuses["too-large"] == 413
    assert statuses["unsupported-media-type"] == 415
    assert statuses["graphql-get-miss"] == "miss" and statuses["graphql-get-hot-lane"] == "hit"
    assert _hot_lane_answers(graph_url) == hot_before + 1  # the second GET came from memory


def test_the_ide_keeps_its_own_script_policy(graph_url: str) -> None:
    response = httpx.get(f"{graph_url}/graphql", headers={"accept": "text/html"}, timeout=10)
    assert '<meta http-equiv="Content-Security-Policy"' in response.text
    assert "script-src &#x27;self&#x27; &#x27;sha256-" in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_production_adds_hsts_everywhere(production_url: str) -> None:
    for response in (
        httpx.get(f"{production_url}/healthz", timeout=10),
        httpx.get(f"{production_url}/no/such/page", timeout=10),
        httpx.post(
            f"{production_url}/graphql",
            json={"query": "{ __typename }"},
            headers={"x-forwarded-for": random_ip()},
            timeout=10,
        ),
    ):
        hsts = response.headers["strict-transport-security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
        assert_hardened(response)


# --- caching of personal answers ------------------------------------------------------------


def test_signed_in_answers_are_not_stored_but_public_ones_stay_cacheable(
    graph_url: str, sms_simulator: SimulatorAdmin
) -> None:
    device = Device(graph_url, sms_simulator.base_url)
    try:
        device.sign_in()
        bearer = {"authorization": f"Bearer {device.access_token}"}
        personal = device.http.post("/graphql", json={"query": ME}, headers=bearer)
        assert personal.json()["data"]["me"]["id"]
        assert personal.headers["cache-control"] == "no-store"
        public = device.http.get(
            "/graphql",
            params={"query": PUBLIC_QUERY},
            headers={**bearer, "accept": "application/json"},
        )
        assert_cache_control(public.headers["cache-control"], "public", 300)
        anonymous = device.http.post("/graphql", json={"query": PUBLIC_QUERY})
        assert "cache-control" not in anonymous.headers  # POST answers are never stored
    finally:
        device.close()


def test_a_crash_is_answered_as_coded_json_with_the_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No route of the graph is known to crash; a route that does stands for the next bug."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    from mychangsha.http_guards import guards
    from tests.support.servers import serve_in_thread

    async def broken(request: Request) -> None:
        raise RuntimeError("secret detail of a bug")

    app = Starlette(routes=[Route("/broken", broken)], middleware=guards(Settings()))
    with serve_in_thread(app) as url:
        answer = httpx.get(f"{url}/broken", timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert "secret detail" not in answer.text
    assert "secret detail of a bug" in caplog.text  # the operator gets the trace
