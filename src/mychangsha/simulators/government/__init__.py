"""Simulator of Changsha's government-service platform (互联网+政务服务, 一件事一次办)."""

from mychangsha.simulators.government.app import DEV_WEBHOOK_SECRET, create_app

__all__ = ["DEV_WEBHOOK_SECRET", "create_app"]
