"""WeChat's code2session JSON, validated with pydantic.

`session_key` is deliberately not a field: pydantic drops it on parsing, so the key that
decrypts the user's WeChat data never exists in a model, a log line or a cache.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Code2SessionJson(BaseModel):
    """Success (`openid`, maybe `unionid`) and failure (`errcode` ≠ 0, `errmsg`) in one shape."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    errcode: int = 0
    errmsg: str = ""
    openid: str | None = None
    unionid: str | None = None
