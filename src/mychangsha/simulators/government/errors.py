"""The platform's error shape with details: `{"error": {"code", "message", ...}}`.

The shared `ApiError` carries only a code and a message; the application endpoints also say
which materials are missing (`names`) or which field is wrong (`field`), so the graph can turn
them into its typed `MissingMaterials` / `InvalidField` results without parsing prose.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mychangsha.simulators.base import ApiError, OrjsonResponse

__all__ = ["GovError", "gov_error_handler", "invalid_field", "material_error"]


class GovError(ApiError):
    """An `ApiError` whose body carries extra keys next to code and message."""

    def __init__(self, status_code: int, code: str, message: str, **details: Any) -> None:
        super().__init__(status_code, message, code=code)
        self.details = details


def invalid_field(name: str, message: str) -> GovError:
    """422 INVALID_FIELD naming the field (`fields.<name>` style paths for nested ones)."""
    return GovError(422, "INVALID_FIELD", message, field=name)


def material_error(code: str, names: list[str], message: str) -> GovError:
    """422 MISSING_MATERIALS, UNKNOWN_MATERIAL or INVALID_MATERIAL naming the materials."""
    return GovError(422, code, message, names=names)


async def gov_error_handler(request: Request, exc: Exception) -> Response:
    """Render a `GovError`; registered on the app next to the shared handlers."""
    assert isinstance(exc, GovError)
    body = {"error": {"code": exc.code, "message": exc.message, **exc.details}}
    return OrjsonResponse(body, status_code=exc.status_code)
