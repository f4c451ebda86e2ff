"""Calls to WeChat's `auth.code2Session`, through the shared upstream client.

A login code is single-use, so the exchange is sent exactly once: it goes through
`send_json(..., idempotent=False)` rather than `get_json`, which would retry a GET after a
timeout or a 502/503/504, and a retry after a lost answer could find the code already spent
(40163) and turn a slow success into a failed sign-in. Nor is it ever cached. When the one
attempt fails the mini-program simply calls `wx.login()` again for a fresh code.

WeChat answers failures as HTTP 200 with `{"errcode", "errmsg"}`. A code the user brought
that WeChat refuses (unknown or expired 40029, already used 40163, a blocked risky account
40226, missing 41008) is `WechatCodeRejected`, a domain outcome of sign-in. Everything else is
our misconfiguration (wrong appid or secret) or WeChat's trouble (busy, minute quota): those
are `WechatApiError`, an `UpstreamUnavailable`, so the graph reports UPSTREAM_UNAVAILABLE.

The app secret travels in the query string, as WeChat's contract demands; transport errors
from the upstream client name the request path, so they are re-raised without the query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from pydantic import ValidationError

from mychangsha.integrations.errors import UpstreamTimeout, UpstreamUnavailable
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.wechat.wire import Code2SessionJson

__all__ = ["WechatApiError", "WechatClient", "WechatCodeRejected", "WechatSession"]

log = logging.getLogger(__name__)

_PATH: Final = "/sns/jscode2session"
# Refusals of the code the user brought: sign-in fails, nothing is wrong with us or WeChat.
CODE_REJECTIONS: Final = frozenset({40029, 40163, 40226, 41008})
# Refusals of our own credentials or request: an operator must fix the configuration.
MISCONFIGURATIONS: Final = frozenset({40002, 40013, 40125, 41002, 41004})


@dataclass(frozen=True, slots=True)
class WechatSession:
    """Who signed in: the openid (per mini-program) and unionid (per Open Platform account).

    WeChat's session_key is not here on purpose: the graph has no use for it and it must not
    be stored or logged.
    """

    openid: str
    unionid: str | None


class WechatCodeRejected(Exception):
    """WeChat refused the login code (invalid, expired, already used): sign-in fails."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat rejected the login code ({errcode}: {errmsg})")
        self.errcode = errcode
        self.errmsg = errmsg


class WechatApiError(UpstreamUnavailable):
    """WeChat refused the call itself: our credentials, its quota, or a system error."""

    def __init__(self, upstream: str, errcode: int, errmsg: str) -> None:
        super().__init__(upstream, f"{upstream}: code2session failed ({errcode}: {errmsg})")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def misconfigured(self) -> bool:
        """True when the fault is ours (appid, secret, request shape), not WeChat's."""
        return self.errcode in MISCONFIGURATIONS


class WechatClient:
    """WeChat's login API as a domain call; the upstream client owns transport policy."""

    def __init__(self, upstream: UpstreamClient, *, app_id: str, app_secret: str) -> None:
        if not app_id or not app_secret:
            raise ValueError("WeChat login needs the mini-program's appid and secret")
        self._upstream = upstream
        self._app_id = app_id
        self._app_secret = app_secret

    async def code_to_session(self, code: str) -> WechatSession:
        """Exchange a `wx.login()` code, once, for the user's openid and unionid.

        Raises `WechatCodeRejected` for a code WeChat refuses, `WechatApiError` (an
        `UpstreamUnavailable`) when it refuses us, and `UpstreamUnavailable` /
        `UpstreamTimeout` when it cannot be reached; the call is never retried.
        """
        if not code:
            raise WechatCodeRejected(41008, "missing code")
        query = urlencode(
            {
                "appid": self._app_id,
                "secret": self._app_secret,
                "js_code": code,
                "grant_type": "authorization_code",
            }
        )
        path = f"{_PATH}?{query}"
        try:
            _, body = await self._upstream.send_json("GET", path, idempotent=False)
        except UpstreamTimeout as exc:
            raise UpstreamTimeout(exc.upstream, exc.message.replace(path, _PATH)) from None
        except UpstreamUnavailable as exc:
            raise UpstreamUnavailable(exc.upstream, exc.message.replace(path, _PATH)) from None
        return self._session(body)

    def _session(self, body: object) -> WechatSession:
        name = self._upstream.config.name
        try:
            reply = Code2SessionJson.model_validate(body)
        except ValidationError:
            raise UpstreamUnavailable(name, f"{name}: code2session reply is not JSON") from None
        if reply.errcode in CODE_REJECTIONS:
            raise WechatCodeRejected(reply.errcode, reply.errmsg)
        if reply.errcode != 0:
            error = WechatApiError(name, reply.errcode, reply.errmsg)
            if error.misconfigured:
                log.error("WeChat refuses our credentials: %s", error.message)
            raise error
        if not reply.openid:
            raise UpstreamUnavailable(name, f"{name}: code2session reply has no openid")
        return WechatSession(openid=reply.openid, unionid=reply.unionid or None)
