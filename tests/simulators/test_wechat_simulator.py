"""The WeChat login simulator over real HTTP: code2session as WeChat answers it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mychangsha.simulators.wechat import DEV_APP_ID, DEV_APP_SECRET, create_app
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

START = datetime(2025, 5, 14, 3, 0, 30, tzinfo=UTC)
OPENID = re.compile(r"o[A-Za-z0-9_-]{27}")
RID = re.compile(r", rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(START)


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock) -> Iterator[httpx.Client]:
    """A client of the simulator, reset and at the start time before each test."""
    clock.current = START
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def wx_login(http: httpx.Client, **body: Any) -> dict[str, Any]:
    """What the phone's wx.login() hands the mini-program."""
    response = (
        http.post("/__admin/login-codes", json=body) if body else http.post("/__admin/login-codes")
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def exchange(http: httpx.Client, code: str | None, **overrides: str | None) -> httpx.Response:
    params: dict[str, str | None] = {
        "appid": DEV_APP_ID,
        "secret": DEV_APP_SECRET,
        "js_code": code,
        "grant_type": "authorization_code",
        **overrides,
    }
    return http.get(
        "/sns/jscode2session", params={k: v for k, v in params.items() if v is not None}
    )


def errcode(response: httpx.Response) -> int:
    """WeChat's failure: HTTP 200, text/plain JSON, errcode and an errmsg with a request id."""
    assert response.status_code == 200, response.text
    body = json.loads(response.content)
    assert set(body) == {"errcode", "errmsg"}
    assert RID.search(body["errmsg"]), body["errmsg"]
    return int(body["errcode"])


def test_a_code_becomes_the_users_openid_with_wechats_framing(http: httpx.Client) -> None:
    login = wx_login(http)
    assert OPENID.fullmatch(login["openid"])
    assert OPENID.fullmatch(login["unionid"])
    response = exchange(http, login["code"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = json.loads(response.content)
    assert set(body) == {"openid", "session_key", "unionid"}
    assert body["openid"] == login["openid"]
    assert body["unionid"] == login["unionid"]
    assert re.fullmatch(r"[A-Za-z0-9+/]{22}==", body["session_key"])


def test_a_code_is_single_use(http: httpx.Client) -> None:
    code = wx_login(http)["code"]
    assert exchange(http, code).status_code == 200
    assert errcode(exchange(http, code)) == 40163
    assert json.loads(exchange(http, code).content)["errmsg"].startswith("code been used")


def test_unknown_codes_are_40029(http: httpx.Client) -> None:
    assert errcode(exchange(http, "no-such-code")) == 40029


def test_a_code_lives_five_minutes(http: httpx.Client, clock: MutableClock) -> None:
    fresh, stale = wx_login(http)["code"], wx_login(http)["code"]
    clock.advance(minutes=4, seconds=59)
    assert exchange(http, fresh).status_code == 200
    assert "openid" in json.loads(exchange(http, wx_login(http)["code"]).content)
    clock.advance(seconds=1)
    assert errcode(exchange(http, stale)) == 40029


def test_expired_codes_stay_expired_after_a_spent_one_is_forgotten(
    http: httpx.Client, clock: MutableClock
) -> None:
    code = wx_login(http)["code"]
    exchange(http, code).raise_for_status()
    clock.advance(hours=2)
    wx_login(http)  # issuing prunes codes nobody can use any more
    assert errcode(exchange(http, code)) == 40029


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"appid": "wx-somebody-else"}, 40013),
        ({"secret": "guessed"}, 40125),
        ({"appid": None}, 41002),
        ({"secret": None}, 41004),
        ({"grant_type": "client_credential"}, 40002),
        ({"grant_type": None}, 40002),
        ({"js_code": None}, 41008),
    ],
)
def test_credentials_and_parameters_are_checked(
    http: httpx.Client, overrides: dict[str, str | None], expected: int
) -> None:
    code = wx_login(http)["code"]
    assert errcode(exchange(http, code, **overrides)) == expected


def test_a_refused_call_does_not_spend_the_code(http: httpx.Client) -> None:
    code = wx_login(http)["code"]
    assert errcode(exchange(http, code, secret="guessed")) == 40125
    assert exchange(http, code).status_code == 200


def test_the_minute_quota_answers_45011_until_the_next_minute(
    http: httpx.Client, clock: MutableClock
) -> None:
    assert http.put("/__admin/quota", json={"perMinute": 2}).json() == {"perMinute": 2}
    codes = [wx_login(http)["code"] for _ in range(3)]
    assert "openid" in json.loads(exchange(http, codes[0]).content)
    assert errcode(exchange(http, "unknown")) == 40029  # counted all the same
    assert errcode(exchange(http, codes[1])) == 45011
    clock.advance(seconds=30)  # 03:01:00, a new clock minute
    assert "openid" in json.loads(exchange(http, codes[1]).content)
    http.post("/__admin/reset").raise_for_status()
    assert http.get("/__admin/quota").json() == {"perMinute": 5000}


def test_a_given_openid_keeps_its_unionid(http: httpx.Client) -> None:
    first = wx_login(http, openid="o-citizen-zhangwei")
    second = wx_login(http, openid="o-citizen-zhangwei")
    other = wx_login(http, openid="o-citizen-lina")
    assert first["openid"] == second["openid"] == "o-citizen-zhangwei"
    assert first["code"] != second["code"]
    assert first["unionid"] == second["unionid"] != other["unionid"]
    body = json.loads(exchange(http, second["code"]).content)
    assert body["openid"] == "o-citizen-zhangwei"
    assert body["unionid"] == first["unionid"]


def test_random_users_differ(http: httpx.Client) -> None:
    openids = {wx_login(http)["openid"] for _ in range(5)}
    assert len(openids) == 5


def test_an_app_without_open_platform_gets_no_unionid(http: httpx.Client) -> None:
    login = wx_login(http, openid="o-mini-only-user", unionid=None)
    assert login["unionid"] is None
    body = json.loads(exchange(http, login["code"]).content)
    assert set(body) == {"openid", "session_key"}


@pytest.mark.parametrize(
    "body",
    [{"openid": "short"}, {"openid": "has space in it"}, {"openid": 12345678}, {"nick": "x"}, []],
)
def test_bad_login_code_requests_are_400(http: httpx.Client, body: Any) -> None:
    response = http.post("/__admin/login-codes", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("body", [{}, {"perMinute": -1}, {"perMinute": "10"}])
def test_bad_quotas_are_400(http: httpx.Client, body: Any) -> None:
    assert http.put("/__admin/quota", json=body).status_code == 400


def test_only_code2session_is_counted_and_faulted(http: httpx.Client) -> None:
    code = wx_login(http)["code"]
    http.put("/__admin/faults", json={"down": True}).raise_for_status()
    down = exchange(http, code)
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    wx_login(http)  # the phone still logs in while the API is "down"
    http.put("/__admin/faults", json={}).raise_for_status()
    assert exchange(http, code).status_code == 200, "a refused request never spends a code"
    assert http.get("/__admin/counters").json() == {
        "total": 2,
        "byRoute": {"GET /sns/jscode2session": 2},
    }


def test_reset_forgets_every_code(http: httpx.Client) -> None:
    code = wx_login(http)["code"]
    http.post("/__admin/reset").raise_for_status()
    assert errcode(exchange(http, code)) == 40029


def test_credentials_are_configurable() -> None:
    app = create_app(app_id="wx0123456789abcdef", app_secret="s3cr3t")
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as http:
        code = wx_login(http)["code"]
        assert errcode(exchange(http, code)) == 40013
        ok = exchange(http, code, appid="wx0123456789abcdef", secret="s3cr3t")
        assert "openid" in json.loads(ok.content)


def test_openapi_describes_every_route_and_its_refs_resolve(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    for path, methods in {
        "/sns/jscode2session": {"get"},
        "/__admin/login-codes": {"post"},
        "/__admin/quota": {"get", "put"},
        "/__admin/faults": {"get", "put"},
    }.items():
        assert methods <= set(document["paths"][path]), path
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node: Any = document
        for key in ref.split("/"):
            node = node[key]
