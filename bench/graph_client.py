"""Setup and probe requests to the graph over HTTP, using the app's own operations."""

from __future__ import annotations

import hashlib
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import orjson
from strawberry import relay

OPERATIONS = Path(__file__).resolve().parent.parent / "clients" / "operations"


@cache
def operation(name: str) -> str:
    """The text of a client operation (clients/operations/<name>.graphql)."""
    return (OPERATIONS / f"{name}.graphql").read_text()


def sha256(text: str) -> str:
    """The persisted-query hash of a document."""
    return hashlib.sha256(text.encode()).hexdigest()


def citizen_headers(token: str | None, ip: str) -> dict[str, str]:
    """A citizen's request headers: its token and its own address (behind one proxy)."""
    headers = {"accept": "application/json", "x-forwarded-for": ip}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


def global_id(type_name: str, key: str) -> str:
    """A relay global ID, encoded as the graph encodes it."""
    return str(relay.GlobalID(type_name, key))


def address(index: int) -> str:
    """A distinct client address per index."""
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


class GraphClient:
    """Runs the app's operations against one graph URL."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def run(
        self,
        name: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        ip: str = "10.255.0.1",
    ) -> dict[str, Any]:
        """POST an operation; the JSON answer."""
        response = self.http.post(
            "/graphql",
            content=orjson.dumps(
                {"query": operation(name), "operationName": name, "variables": variables or {}}
            ),
            headers={**citizen_headers(token, ip), "content-type": "application/json"},
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def data(self, name: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """An operation's data; errors are a failed setup."""
        body = self.run(name, variables, **kw)
        if body.get("errors"):
            raise RuntimeError(f"{name} failed: {body['errors']}")
        return body["data"]

    def book(self, slot_id: str, citizen_id: str, token: str, ip: str) -> dict[str, Any]:
        """BookAppointment's result."""
        result: dict[str, Any] = self.data(
            "BookAppointment",
            {
                "input": {
                    "slotId": slot_id,
                    "patientId": citizen_id,
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            token=token,
            ip=ip,
        )["appointmentBook"]
        return result

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
