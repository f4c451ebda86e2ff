"""The SMS gateway: one-time login codes to citizens' phones."""

from mychangsha.integrations.sms.client import LOGIN_CODE_TEMPLATE, SmsClient

__all__ = ["LOGIN_CODE_TEMPLATE", "SmsClient"]
