"""Calls to the real-name verification service, through the shared upstream client.

A verification is a pure check that changes nothing upstream, so the POST is sent as
idempotent and may be retried after a timeout or a 502/503/504. It is never cached: a
citizen's name and ID number must not sit in Redis, and a verdict is asked for once per
verification anyway. A 400 (a malformed number reached the service) surfaces as
`UpstreamRejected`: the graph checks the number's shape and check character first, so that
is a bug to see, not a citizen's mistake.
"""

from __future__ import annotations

from typing import Final

from pydantic import ValidationError

from mychangsha.integrations.errors import UpstreamUnavailable
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.realname.wire import (
    RealNameResult,
    VerificationJson,
    VerificationRequestJson,
)

__all__ = ["RealNameClient", "RealNameResult"]

_PATH: Final = "/v1/verifications"


class RealNameClient:
    """The verification service's API as a domain call; transport policy is the upstream's."""

    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream

    async def verify(self, name: str, id_number: str) -> RealNameResult:
        """Whether the registry holds this ID number under this name.

        Raises `UpstreamRejected` (400) for a malformed request, `UpstreamUnavailable` /
        `UpstreamTimeout` when the service cannot be reached.
        """
        request = VerificationRequestJson(name=name.strip(), id_number=id_number.strip().upper())
        _, body = await self._upstream.send_json(
            "POST", _PATH, json=request.to_wire(), idempotent=True
        )
        try:
            return VerificationJson.model_validate(body).result
        except ValidationError:
            name_ = self._upstream.config.name
            raise UpstreamUnavailable(name_, f"{name_}: unreadable verification reply") from None
