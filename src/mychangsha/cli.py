"""The `mychangsha` command: dev stack, production server, seeding, simulators, schema export."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import timedelta

from mychangsha.auth.keys import ROTATION_LEAD
from mychangsha.observability.logs import logging_config
from mychangsha.platform.clock import CHANGSHA, utc_now
from mychangsha.settings import Settings

ROTATION_LEAD_SECONDS = ROTATION_LEAD.total_seconds()


def _serve(args: argparse.Namespace) -> int:
    """Production entry: refuses to start without real MongoDB and Redis."""
    import uvicorn

    from mychangsha.services import missing_settings

    if args.subgraph:
        # Every uvicorn worker builds its app from the environment: this is how they all learn.
        os.environ["SUBGRAPH"] = args.subgraph
    settings = Settings()
    missing = missing_settings(settings)
    if missing:
        print(
            f"mychangsha serve: missing {', '.join(missing)}. MONGODB_URI and REDIS_URL name "
            "your MongoDB replica set and Redis; MASTER_KEY is 32 random bytes in base64 "
            "(`mychangsha keys new-master-key` makes one). `mychangsha dev` needs none of them.",
            file=sys.stderr,
        )
        return 2
    workers = args.workers or settings.workers
    if workers > 1:
        _share_metrics_between_workers()
    uvicorn.run(
        "mychangsha.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        proxy_headers=True,
        timeout_graceful_shutdown=20,
        timeout_keep_alive=settings.keep_alive_seconds,
        log_config=logging_config(settings.log_format, settings.log_level),
        access_log=False,  # observability/access.py writes a richer line per request
    )
    return 0


def _share_metrics_between_workers() -> None:
    """Give the workers one directory for their metrics, emptied of a previous run's files.

    prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is first imported, so it must be
    set here, before uvicorn starts the workers that import the app.
    """
    import tempfile
    from pathlib import Path

    from mychangsha.observability.metrics import MULTIPROC_ENV

    directory = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="mychangsha-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    for stale in Path(directory).glob("*.db"):
        stale.unlink()


def _dev(args: argparse.Namespace) -> int:
    from mychangsha.devstack import run_dev_stack

    return run_dev_stack(port=args.port, data_dir=args.data_dir)


def _seed(args: argparse.Namespace) -> int:
    """Fill the catalogue mirrors from the upstreams; repeating it changes nothing."""
    from mychangsha.services import open_services
    from mychangsha.sync.scheduler import JOBS, run_all

    unknown = sorted(set(args.catalogues) - set(JOBS))
    if unknown:
        print(
            f"mychangsha seed: unknown {', '.join(unknown)}; known: {', '.join(JOBS)}",
            file=sys.stderr,
        )
        return 2
    jobs = {name: JOBS[name] for name in args.catalogues} if args.catalogues else JOBS

    async def seed() -> dict[str, bool]:
        async with open_services(Settings()) as services:
            await services.ensure_indexes()
            return await run_all(services, jobs)

    results = asyncio.run(seed())
    for name, ok in results.items():
        print(f"{name}: {'ok' if ok else 'FAILED'}")
    return 0 if all(results.values()) else 1


def _simulate(args: argparse.Namespace) -> int:
    import uvicorn

    from mychangsha.simulators.registry import UnknownSimulator, build_simulator

    try:
        app = build_simulator(args.name)
    except UnknownSimulator as exc:
        print(f"mychangsha simulate: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _keys(args: argparse.Namespace) -> int:
    """Signing keys: list them, or rotate (old keys verify until their tokens expire)."""
    if args.action == "new-master-key":
        from mychangsha.auth.crypto import FieldCipher

        print(FieldCipher.generate_setting())
        return 0

    from mychangsha.services import open_services

    async def run() -> int:
        async with open_services(Settings()) as services:
            keys = services.identity.keys
            await keys.ensure_indexes()
            if args.action == "rotate":
                new_key = await keys.rotate(timedelta(seconds=args.activate_in))
                print(
                    f"new signing key {new_key.kid}; published now, signing from "
                    f"{new_key.activates_at:%F %T}Z; older keys verify until their tokens expire"
                )
            for key in await keys.list_keys():
                retired = "" if key.retired_at is None else f"  retires {key.retired_at:%F %T}Z"
                print(f"{key.kid}  signs from {key.activates_at:%F %T}Z{retired}")
        return 0

    return asyncio.run(run())


def _ticket_verify(args: argparse.Namespace) -> int:
    """The reference gate verifier: 0 admitted, 1 not genuine, 2 genuine but not valid now."""
    import json
    from datetime import datetime
    from pathlib import Path

    import httpx

    from mychangsha.auth.ticket_codes import check_ticket

    source = args.jwks or Settings().public_base_url.rstrip("/") + "/.well-known/jwks.json"
    if source.startswith(("http://", "https://")):
        jwks = httpx.get(source, timeout=10).raise_for_status().json()
    else:
        jwks = json.loads(Path(source).read_text())
    at = datetime.fromisoformat(args.at) if args.at else utc_now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=CHANGSHA)  # gates stand in Changsha
    now = at.timestamp()
    verdict = check_ticket(args.payload, jwks, now=now)
    report = {
        "admitted": verdict.valid_now,
        "genuine": verdict.genuine,
        "reason": verdict.reason,
        "ticket": verdict.ticket,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if verdict.valid_now:
        return 0
    return 2 if verdict.genuine else 1


def _export_schema(args: argparse.Namespace) -> int:
    from mychangsha.schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")
    return 0


def _trusted_documents(args: argparse.Namespace) -> int:
    """Write the trusted-documents manifest (sha256 hex of each document → document)."""
    from pathlib import Path

    from mychangsha.trusted import (
        REPO_OPERATIONS_DIR,
        ManifestError,
        encode_manifest,
        manifest_from_directory,
    )

    try:
        manifest = manifest_from_directory(Path(args.operations or REPO_OPERATIONS_DIR))
    except ManifestError as exc:
        print(f"mychangsha trusted-documents: {exc}", file=sys.stderr)
        return 2
    encoded = encode_manifest(manifest)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(encoded)
    else:
        Path(args.output).write_bytes(encoded)
        print(f"{len(manifest)} trusted documents written to {args.output}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="mychangsha", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="embedded MongoDB + Redis + simulators + the graph with IDE")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", default=".data")
    dev.set_defaults(run=_dev)

    serve = sub.add_parser(
        "serve", help="production server (needs MONGODB_URI, REDIS_URL, MASTER_KEY)"
    )
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument(
        "--subgraph",
        choices=["identity", "hospital", "government", "tourism", "home"],
        help="serve one domain as an Apollo Federation v2 subgraph (env SUBGRAPH)",
    )
    serve.set_defaults(run=_serve)

    seed = sub.add_parser("seed", help="mirror the upstream catalogues into MongoDB")
    seed.add_argument("catalogues", nargs="*", help="only these (default: every catalogue)")
    seed.set_defaults(run=_seed)

    simulate = sub.add_parser("simulate", help="run one upstream simulator")
    simulate.add_argument("name")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, required=True)
    simulate.set_defaults(run=_simulate)

    keys = sub.add_parser("keys", help="access-token signing keys and the master key")
    keys.add_argument("action", choices=["list", "rotate", "new-master-key"])
    keys.add_argument(
        "--activate-in",
        type=float,
        default=ROTATION_LEAD_SECONDS,
        help="seconds between publishing a rotated key and signing with it "
        f"(default {ROTATION_LEAD_SECONDS:.0f}: JWKS max-age plus the key cache)",
    )
    keys.set_defaults(run=_keys)

    ticket = sub.add_parser("ticket", help="ticket QR codes")
    ticket_sub = ticket.add_subparsers(dest="action", required=True)
    verify = ticket_sub.add_parser(
        "verify", help="verify a ticket QR payload offline, as a gate does (reference verifier)"
    )
    verify.add_argument("payload", help="the compact JWS read from the QR code")
    verify.add_argument(
        "--jwks",
        help="URL or file of the JWKS document (default: PUBLIC_BASE_URL/.well-known/jwks.json)",
    )
    verify.add_argument(
        "--at",
        help="check validity at this ISO 8601 time instead of now (e.g. 2026-11-26T10:05+08:00)",
    )
    verify.set_defaults(run=_ticket_verify)

    export = sub.add_parser("export-schema", help="print the schema's SDL")
    export.set_defaults(run=_export_schema)

    trusted = sub.add_parser(
        "trusted-documents",
        help="write the trusted-documents manifest (sha256 → document) of clients/operations",
    )
    trusted.add_argument("--operations", help="directory of .graphql operations")
    trusted.add_argument("--output", "-o", help="manifest file to write (default: stdout)")
    trusted.set_defaults(run=_trusted_documents)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `mychangsha` console script."""
    args = parser().parse_args(argv)
    raise SystemExit(args.run(args))
