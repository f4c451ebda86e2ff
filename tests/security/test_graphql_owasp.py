"""The OWASP GraphQL cheat sheet's attacks over real HTTP, where other suites leave a gap.

Already covered elsewhere (and not repeated here): aliases over the limit and aliased
expensive fields, field depth, tokens, four directives on one field, introspection and
suggestions for a misspelt field in production, no IDE page in production
(tests/api/test_abuse_limits.py); batched JSON arrays and mutations by hash over GET
(tests/api/test_persisted_queries.py); multipart without a CSRF header
(tests/api/test_upload_guard.py).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mychangsha.auth.otp import MAX_TRIES
from mychangsha.schema.limits import MAX_DEPTH, MAX_DIRECTIVES
from tests.api.identity_client import Device, random_ip, random_phone
from tests.conftest import SimulatorAdmin

GQL_JSON = "application/graphql-response+json"


def post(url: str, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    """One document, from an address of its own, asking for the spec's status codes."""
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"x-forwarded-for": random_ip(), "accept": GQL_JSON},
        timeout=20,
    )


def refused_unrun(response: httpx.Response) -> list[dict[str, Any]]:
    """A request error: 400, no `data`, coded errors, nothing internal; the errors."""
    assert response.status_code == 400, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    body: dict[str, Any] = response.json()
    assert "data" not in body, body
    errors: list[dict[str, Any]] = body["errors"]
    assert errors and all(e["extensions"]["code"] for e in errors), body
    return errors


# --- directive overloading ---------------------------------------------------------------


def test_hundreds_of_repeated_directives_on_a_field_are_refused_cheaply(graph_url: str) -> None:
    query = "{ __typename " + "@include(if: true) " * 500 + "}"
    started = time.monotonic()
    response = post(graph_url, query)
    elapsed = time.monotonic() - started
    refused_unrun(response)
    # One error per repeat would amplify the request; validation stops at its error limit.
    assert len(response.content) < 64 * 1024, len(response.content)
    assert elapsed < 2.0, elapsed


def test_directives_spread_over_many_fields_are_query_too_complex(graph_url: str) -> None:
    fields = " ".join(f"t{i}: __typename @include(if: true)" for i in range(MAX_DIRECTIVES + 1))
    errors = refused_unrun(post(graph_url, f"{{ {fields} }}"))
    assert "QUERY_TOO_COMPLEX" in {e["extensions"]["code"] for e in errors}


# --- alias overloading as a brute force ------------------------------------------------------


def test_aliases_cannot_multiply_login_code_guesses(
    graph_url: str, sms_simulator: SimulatorAdmin
) -> None:
    """Each aliased authOtpLogin spends one of the code's tries: the right code, guessed
    right after them in the same document, is already dead."""
    device = Device(graph_url, sms_simulator.base_url)
    try:
        phone = random_phone()
        assert device.request_code(phone)["__typename"] == "OtpSent"
        code = device.latest_code(phone)
        wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, MAX_TRIES + 1)]
        guesses = [*wrong, code]
        fields = " ".join(
            f'g{i}: authOtpLogin(phone: "{phone}", code: "{guess}") {{ __typename '
            "... on InvalidCode { attemptsLeft } }"
            for i, guess in enumerate(guesses)
        )
        body = device.post(f"mutation {{ {fields} }}")
        results = [body["data"][f"g{i}"] for i in range(len(guesses))]
        left = [r.get("attemptsLeft") for r in results[:MAX_TRIES]]
        assert left == list(range(MAX_TRIES - 1, -1, -1)), results
        assert results[MAX_TRIES]["__typename"] != "AuthSession", results
        again = device.login(phone, code)
        assert again["__typename"] != "AuthSession", again
    finally:
        device.close()


# --- fragments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ ...Self } fragment Self on Query { ...Self }", id="self"),
        pytest.param(
            "{ hospitals(first: 1) { edges { node { ...A } } } }"
            " fragment A on Hospital { departments { hospital { ...B } } }"
            " fragment B on Hospital { ...A }",
            id="through-another",
        ),
    ],
)
def test_fragment_cycles_are_refused_by_validation(graph_url: str, query: str) -> None:
    started = time.monotonic()
    errors = refused_unrun(post(graph_url, query))
    assert time.monotonic() - started < 2.0
    assert any("within itself" in e["message"] for e in errors), errors
    assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}


def test_depth_hidden_in_nested_fragments_is_query_too_complex(graph_url: str) -> None:
    """A valid document whose depth comes only from fragments spreading fragments."""
    pairs = MAX_DEPTH // 2 + 1
    fragments = " ".join(
        f"fragment H{i} on Hospital {{ departments {{ hospital {{ ...H{i + 1} }} }} }}"
        for i in range(pairs)
    )
    query = (
        "{ hospitals(first: 1) { edges { node { ...H0 } } } } "
        f"{fragments} fragment H{pairs} on Hospital {{ id }}"
    )
    errors = refused_unrun(post(graph_url, query))
    assert {e["extensions"]["code"] for e in errors} == {"QUERY_TOO_COMPLEX"}, errors
    assert any("depth" in e["message"] for e in errors), errors


# --- HTTP: methods and content types (CSRF) ------------------------------------------------


@pytest.mark.parametrize("which", ["development", "production"])
def test_mutations_over_get_are_405(graph_url: str, production_url: str, which: str) -> None:
    url = graph_url if which == "development" else production_url
    response = httpx.get(
        f"{url}/graphql",
        params={"query": "mutation { authLogout }"},
        headers={"x-forwarded-for": random_ip(), "accept": GQL_JSON},
        timeout=10,
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param(
            "application/x-www-form-urlencoded", b"query=mutation+%7B+authLogout+%7D", id="form"
        ),
        pytest.param("text/plain", b'{"query": "mutation { authLogout }"}', id="text-plain"),
        pytest.param(None, b'{"query": "mutation { authLogout }"}', id="no-content-type"),
    ],
)
def test_posts_a_cross_site_form_can_send_are_415(
    graph_url: str, content_type: str | None, content: bytes
) -> None:
    """What an HTML form on another site can send without a preflight never runs."""
    headers = {"x-forwarded-for": random_ip()}
    if content_type is not None:
        headers["content-type"] = content_type
    response = httpx.post(f"{graph_url}/graphql", content=content, headers=headers, timeout=10)
    assert response.status_code == 415, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "application/json" in error["message"]


# --- production: suggestions everywhere, and no IDE files ----------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ attractions(frist: 1) { edges { cursor } } }", id="argument"),
        pytest.param("{ myTickets(status: CONFIRMD) { edges { cursor } } }", id="enum-value"),
        pytest.param('{ node(id: "x") { ... on Atraction { id } } }', id="type"),
        pytest.param("query($p: GeoPointInptu) { __typename }", id="input-type"),
    ],
)
def test_production_suggests_nothing_anywhere(
    graph_url: str, production_url: str, query: str
) -> None:
    assert "Did you mean" in post(graph_url, query).text  # the probe does reach a suggestion
    response = post(production_url, query)
    refused_unrun(response)
    assert "Did you mean" not in response.text


def test_production_serves_no_ide_files(graph_url: str, production_url: str) -> None:
    page = httpx.get(f"{graph_url}/graphql", headers={"accept": "text/html"}, timeout=10).text
    asset = page.split('src="', 2)[1].split('"', 1)[0]
    assert asset.startswith("/ide/assets/")
    assert httpx.get(f"{graph_url}{asset}", timeout=10).status_code == 200
    assert httpx.get(f"{production_url}{asset}", timeout=10).status_code == 404
