"""Helpers for inbox tests: read the inbox, listen on notificationReceived, run reminder jobs.

Jobs and direct notifications run in the test process against the graph's own MongoDB and
Redis (as another replica would), so what they create reaches the graph's sockets too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from websockets.sync.client import ClientConnection, connect

from mychangsha.resolvers.notifications import notify
from mychangsha.services import open_services
from mychangsha.settings import Settings
from mychangsha.storage.notifications import NewNotification
from mychangsha.sync.reminders import REMINDER_JOBS
from tests.api.hospital_journey import decode_id
from tests.api.identity_client import Device

INBOX = """
query($unreadOnly: Boolean, $first: Int, $after: String) {
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    unreadCount
    edges { cursor node { id kind title body subjectId createdAt readAt read } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  } }"""

MARK_READ = """
mutation($ids: [ID!]!) { notificationMarkRead(ids: $ids) {
  unreadCount notifications { id readAt read } } }"""

RECEIVED = """subscription { notificationReceived {
  id kind title body subjectId createdAt readAt read } }"""


def settings_of(graph_env: dict[str, str]) -> Settings:
    """The graph process's own settings, so jobs write where the graph reads."""
    values = {
        name: graph_env[name.upper()] for name in Settings.model_fields if name.upper() in graph_env
    }
    return Settings.model_validate(values)


def run_job(graph_env: dict[str, str], name: str) -> int:
    """Run one registered reminder job once, as a replica's scheduler does; how many it made."""

    async def run() -> int:
        async with open_services(settings_of(graph_env)) as services:
            return await REMINDER_JOBS[name](services)

    return asyncio.run(run())


def create(graph_env: dict[str, str], *notifications: NewNotification) -> list[str]:
    """Create notifications directly (the producers' one path); their ids, in order."""

    async def run() -> list[str]:
        async with open_services(settings_of(graph_env)) as services:
            created = [await notify(services, n) for n in notifications]
        return [n.id for n in created if n is not None]

    return asyncio.run(run())


def citizen_id(me: dict[str, Any]) -> str:
    """The node id inside a citizen's global id."""
    return decode_id(str(me["id"]))[1]


def inbox(device: Device, **variables: Any) -> dict[str, Any]:
    """One page of the device's inbox (asserting no errors)."""
    body = device.post(INBOX, variables)
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["notifications"]
    return page


def nodes(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The notifications of an inbox page."""
    return [edge["node"] for edge in page["edges"]]


def of_kind(device: Device, kind: str) -> list[dict[str, Any]]:
    """The device's notifications of one kind (among its latest 20)."""
    return [n for n in nodes(inbox(device, first=20)) if n["kind"] == kind]


@contextlib.contextmanager
def listening(graph_url: str, access_token: str) -> Iterator[ClientConnection]:
    """A signed-in socket subscribed to notificationReceived, its Redis listener in place."""
    url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        init = {"Authorization": f"Bearer {access_token}"}
        ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "inbox", "type": "subscribe", "payload": {"query": RECEIVED}}))
        time.sleep(0.5)
        yield ws


def next_received(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    """The next notification pushed on the socket."""
    message = json.loads(ws.recv(timeout=timeout))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    received: dict[str, Any] = message["payload"]["data"]["notificationReceived"]
    return received
