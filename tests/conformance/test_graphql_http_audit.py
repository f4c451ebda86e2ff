"""graphql-http's own audit of the GraphQL-over-HTTP spec, run against the real graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conformance.node_tools import run_script

# The audits graphql-http 1.23.1 runs: every MUST, SHOULD and MAY item of the spec it checks.
AUDIT_COUNT = 61


def _failures(results: list[dict[str, Any]]) -> str:
    """The items that are not ok, one a line, with the reason and what the graph answered."""
    return "\n".join(
        f"[{r['status']}] {r['id']} {r['name']}: {r.get('reason')} -> {r.get('response')}"
        for r in results
        if r["status"] != "ok"
    )


def test_every_audit_passes_cold_and_cached(graph_url: str, node_tools: Path) -> None:
    """The second run meets the cached answers of the first: they must conform as well."""
    for run in ("first", "second"):
        results: list[dict[str, Any]] = run_script(
            node_tools, "http_audit.mjs", {"url": f"{graph_url}/graphql"}, timeout=60
        )
        failing = _failures(results)
        assert not failing, f"{run} run:\n{failing}"
        assert len(results) == AUDIT_COUNT, (run, [r["name"] for r in results])
