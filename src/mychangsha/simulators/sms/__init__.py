"""Simulator of the SMS gateway: sends templated messages into an outbox readable over HTTP."""

from mychangsha.simulators.sms.app import create_app

__all__ = ["create_app"]
