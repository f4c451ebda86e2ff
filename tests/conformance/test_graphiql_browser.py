"""The graph's own GraphiQL page in headless Chromium: queries and subscriptions from the IDE.

The page is served with its assets from this process (tests/api/test_ide_offline.py checks the
HTML); here a real browser runs it, under its Content-Security-Policy, against the real graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import People
from tests.api.test_crowd_subscription import Crowds, global_id
from tests.api.test_government import _bundle
from tests.conformance.node_tools import CHROMIUM, NodeScript
from tests.conformance.test_graphql_ws_client import STATUS, submit_and_accept
from tests.conftest import GraphClient, SimulatorAdmin
from tests.support.crowd_watch import wait_until_watched

QUERY = "{ attractions(first: 3) { edges { node { id name } } } }"
SETTLE_SECONDS = 1.5
DELIVERY_SECONDS = 10.0


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, which .ci/run installs; a failure, not a skip, when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    return CHROMIUM


def test_query_and_subscription_from_the_ide(
    graph_url: str,
    redis_url: str,
    graph: GraphClient,
    node_tools: Path,
    chromium: Path,
    crowds: Crowds,
) -> None:
    """What the IDE shows is what the graph answers, over HTTP and over its websocket."""
    attraction = "att-baisha-well"
    crowds.pin(attraction, "COMFORTABLE")
    subscription = (
        f'subscription {{ crowdLevelChanged(attractionIds: ["{global_id(attraction)}"]) '
        "{ level previousLevel visitors attraction { name } } }"
    )
    request = {
        "url": graph_url,
        "query": QUERY,
        "subscription": subscription,
        "subscriptionPath": ["data", "crowdLevelChanged", "level"],
        "expect": "CROWDED",
        "timeoutMs": 40_000,
    }
    with NodeScript(node_tools, "graphiql.mjs", request) as browser:
        shown = json.loads(browser.expect("result", 60)["text"])
        assert shown == graph.execute(QUERY), browser.describe()

        browser.expect("init")
        browser.expect("subscribed")
        for line in browser.collect(SETTLE_SECONDS):  # a catch-up may only be to the pin
            assert line["event"] == "frame", browser.describe()
            assert line["payload"]["data"]["crowdLevelChanged"]["level"] == "COMFORTABLE"

        wait_until_watched(redis_url, attraction)
        visitors = crowds.pin(attraction, "CROWDED")
        frame = browser.expect("frame", DELIVERY_SECONDS)
        pane = json.loads(browser.expect("pane")["text"])
        assert pane == frame["payload"], browser.describe()
        assert pane["data"]["crowdLevelChanged"] == {
            "level": "CROWDED",
            "previousLevel": "COMFORTABLE",
            "visitors": visitors,
            "attraction": {"name": "白沙古井"},
        }
        assert browser.finish() == 0, browser.describe()
        assert not [line for line in browser.seen if line["event"] == "console"], browser.describe()


def test_private_subscription_from_the_ide(
    graph_url: str,
    node_tools: Path,
    chromium: Path,
    people: People,
    government_simulator: SimulatorAdmin,
) -> None:
    """The token in the headers editor signs in the IDE's requests and its socket alike."""
    device, me = people()
    bundle = _bundle(device)
    headers = {"Authorization": f"Bearer {device.access_token}"}
    request = {
        "url": graph_url,
        "headers": headers,
        "query": "{ me { id } }",
        "subscription": STATUS,
        "subscriptionPath": ["data", "applicationStatusChanged", "status"],
        "expect": "ACCEPTED",
        "timeoutMs": 40_000,
    }
    with NodeScript(node_tools, "graphiql.mjs", request) as browser:
        shown = json.loads(browser.expect("result", 60)["text"])
        assert shown == {"data": {"me": {"id": me["id"]}}}, browser.describe()
        assert browser.expect("init")["payload"] == headers, browser.describe()
        browser.expect("subscribed")

        application = submit_and_accept(device, bundle, government_simulator)

        frames: list[dict[str, Any]] = []  # the submission's own SUBMITTED may come first
        while (line := browser.next(DELIVERY_SECONDS + 5)) and line["event"] == "frame":
            frames.append(line["payload"])
        assert line is not None and line["event"] == "pane", browser.describe()
        pane = json.loads(line["text"])
        assert frames and pane == frames[-1], browser.describe()
        for frame in frames:
            change = frame["data"]["applicationStatusChanged"]
            assert change["applicationId"] == application["id"], browser.describe()
            assert change["number"] == application["number"], browser.describe()
        statuses = [frame["data"]["applicationStatusChanged"]["status"] for frame in frames]
        assert statuses in (["ACCEPTED"], ["SUBMITTED", "ACCEPTED"]), browser.describe()
        assert pane["data"]["applicationStatusChanged"]["previousStatus"] == "SUBMITTED"
        assert browser.finish() == 0, browser.describe()
        assert not [line for line in browser.seen if line["event"] == "console"], browser.describe()
