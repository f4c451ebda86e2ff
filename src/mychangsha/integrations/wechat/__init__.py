"""WeChat mini-program login: a `wx.login()` code to the user's openid (and unionid)."""

from mychangsha.integrations.wechat.client import (
    WechatApiError,
    WechatClient,
    WechatCodeRejected,
    WechatSession,
)

__all__ = ["WechatApiError", "WechatClient", "WechatCodeRejected", "WechatSession"]
