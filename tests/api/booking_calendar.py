"""Days to book on, as the graph publishes them: its booking windows, never the test's clock.

A hospital's doctors answer `slots(date:)` for the days of `Hospital.bookingWindow`, an
attraction's `ticketSlots(date:)` for those of `Attraction.bookingWindow`. A test that picks a
day from the window stays inside it whatever the date, the weekday or the time zone of the
machine. Days after the first stay inside even when Changsha's midnight passes during the
test (the window then moves on by one day, and its first day leaves it), so helpers prefer them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import httpx


class Poster(Protocol):
    """Anything that runs a document against the graph and answers the JSON body."""

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one document."""
        ...


def ask(device: Poster | str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Run a document as a device, or anonymously against a graph's base URL; the JSON body."""
    if isinstance(device, str):
        request = {"query": query, "variables": variables}
        body: dict[str, Any] = httpx.post(
            f"{device.rstrip('/')}/graphql", json=request, timeout=30
        ).json()
        return body
    return device.post(query, variables)


WINDOW = """
query($id: ID!) { node(id: $id) {
  ... on Hospital { bookingWindow { first last days } }
  ... on Attraction { bookingWindow { first last days } } } }"""


def booking_days(device: Poster | str, node_id: str) -> list[date]:
    """Every day of a hospital's or an attraction's booking window, today first.

    `device` is a signed-in device or anonymous client, or the base URL of a graph.
    """
    body = ask(device, WINDOW, {"id": node_id})
    assert "errors" not in body, body
    window = body["data"]["node"]["bookingWindow"]
    days = [date.fromisoformat(day) for day in window["days"]]
    assert days[0].isoformat() == window["first"] and days[-1].isoformat() == window["last"]
    return days


def graph_today(device: Poster | str, node_id: str) -> date:
    """Today in Changsha by the graph's clock (the first day of a booking window)."""
    return booking_days(device, node_id)[0]


def pick(days: list[date], nth: int) -> date:
    """The nth usable day (1-based) after today, wrapping round a short list of days."""
    later = days[1:] or days
    return later[(nth - 1) % len(later)]
