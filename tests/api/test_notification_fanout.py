"""A notification created by one graph process reaches a subscriber connected to another."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.api.identity_client import verified_device
from tests.api.notification_journey import inbox, listening, next_received, nodes
from tests.api.test_government import _bundle, _good_files, _submit
from tests.conftest import SimulatorAdmin
from tests.support.servers import free_port, serve_process


@pytest.fixture(scope="module")
def replica_b(graph_env: dict[str, str], graph_url: str) -> Iterator[str]:
    """A second graph process on the same MongoDB and Redis that never produces on its own.

    Its poller and reminder jobs wait an hour, so whatever its sockets receive was created by
    the first process (the one the government platform calls back).
    """
    port = free_port()
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CATALOGUE_SYNC_ON_START": "false",
        "GOVERNMENT_POLL_SECONDS": "3600",
        "REMINDER_POLL_SECONDS": "3600",
    }
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    with serve_process(argv, port, health_path="/healthz", env=env):
        yield f"http://127.0.0.1:{port}"


def test_a_subscriber_on_b_hears_what_a_created(
    graph_url: str,
    replica_b: str,
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
    government_simulator: SimulatorAdmin,
) -> None:
    device, _ = verified_device(graph_url, sms_simulator.base_url, realname_simulator.base_url)
    try:
        assert device.access_token is not None
        bundle = _bundle(device)
        with listening(replica_b, device.access_token) as on_b:
            # Submitted through A: the platform's webhooks call A back.
            response = _submit(device, bundle, _good_files(bundle))
            application = response.json()["data"]["applicationSubmit"]
            assert application["__typename"] == "Application", application
            government_simulator.http.post(
                f"/__admin/applications/{application['number']}/advance", json={"to": "accepted"}
            ).raise_for_status()
            pushed = next_received(on_b)
        assert pushed["kind"] == "APPLICATION_STATUS"
        assert pushed["subjectId"] == application["id"]
        assert nodes(inbox(device)) == [pushed]
    finally:
        device.close()
