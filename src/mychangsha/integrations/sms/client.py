"""Calls to the SMS gateway, through the shared upstream client.

A send is made safe to retry by an `Idempotency-Key` header: the gateway answers a repeat
with the first message id and texts nobody twice, so the call is sent as idempotent and the
upstream client may retry it after a timeout or a 502/503/504. Refusals (400 for a number that
is not a mainland mobile, an unknown template …) surface as `UpstreamRejected` with the
gateway's error body: the graph validates phone numbers before it gets here, so a refusal
means our rules and the gateway's disagree, which is a fault to see, not a user error.
"""

from __future__ import annotations

from typing import Final

from pydantic import ValidationError

from mychangsha.integrations.errors import UpstreamUnavailable
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.sms.wire import MessageAcceptedJson, SendMessageJson

__all__ = ["LOGIN_CODE_TEMPLATE", "SmsClient"]

LOGIN_CODE_TEMPLATE: Final = "LOGIN_CODE"
_MESSAGES_PATH: Final = "/v1/messages"


class SmsClient:
    """The SMS gateway's API as domain calls; the upstream client owns transport policy."""

    def __init__(self, upstream: UpstreamClient, *, sign_name: str = "我的长沙") -> None:
        self._upstream = upstream
        self._sign_name = sign_name

    async def send_login_code(
        self, phone: str, code: str, *, valid_minutes: int, idempotency_key: str
    ) -> str:
        """Text a one-time login code; the gateway's message id (the same for a repeated key).

        Raises `UpstreamRejected` (status 400) when the gateway refuses the number or the
        code, and `UpstreamUnavailable` / `UpstreamTimeout` when it cannot be reached.
        """
        if valid_minutes < 1:
            raise ValueError("a login code must be valid for at least one minute")
        if not idempotency_key:
            raise ValueError("an idempotency key is required: it is what makes retries safe")
        message = SendMessageJson(
            phone=phone,
            sign_name=self._sign_name,
            template=LOGIN_CODE_TEMPLATE,
            params={"code": code, "minutes": str(valid_minutes)},
        )
        _, body = await self._upstream.send_json(
            "POST",
            _MESSAGES_PATH,
            json=message.to_wire(),
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,
        )
        try:
            return MessageAcceptedJson.model_validate(body).message_id
        except ValidationError:
            # Not a reply we can trust: the message may or may not have gone out.
            raise UpstreamUnavailable(
                self._upstream.config.name, "the SMS gateway's reply has no message id"
            ) from None
