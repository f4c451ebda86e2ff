"""Simulator of the payment gateway: WeChat Pay v3 orders and signed, encrypted notifications."""

from mychangsha.simulators.payment.app import DEV_API_V3_KEY, DEV_APP_ID, DEV_MCH_ID, create_app

__all__ = ["DEV_API_V3_KEY", "DEV_APP_ID", "DEV_MCH_ID", "create_app"]
