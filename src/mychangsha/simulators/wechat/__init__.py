"""Simulator of WeChat's mini-program login: `wx.login()` codes and `code2session`."""

from mychangsha.simulators.wechat.app import DEV_APP_ID, DEV_APP_SECRET, create_app

__all__ = ["DEV_APP_ID", "DEV_APP_SECRET", "create_app"]
