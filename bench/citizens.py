"""Signed-in, real-name-verified citizens for the load, made straight in the graph's stores.

Thousands of sign-ins through SMS codes would take minutes and trip the sign-in limits that
protect real citizens; the benchmark measures the operations after sign-in. So the citizens
are created with the graph's own repositories and sessions, and their access tokens signed
with the graph's own keys: the graph verifies them exactly as it verifies any other.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from bench.graph_client import global_id
from mychangsha.auth.idcard import check_digit
from mychangsha.services import open_services
from mychangsha.settings import Settings

BIRTH_BASE = date(1970, 1, 1)
CONCURRENCY = 50


@dataclass(frozen=True)
class BenchCitizen:
    """A level-2 citizen and a valid access token."""

    id: str
    token: str

    @property
    def global_id(self) -> str:
        """The citizen's relay ID (what `me { id }` answers and `patientId` takes)."""
        return global_id("Citizen", self.id)


def id_number(index: int) -> str:
    """A distinct, valid resident ID number per index (birth date and serial vary)."""
    birth = (BIRTH_BASE + timedelta(days=index // 1000)).strftime("%Y%m%d")
    first17 = f"430104{birth}{index % 1000:03d}"
    return first17 + check_digit(first17)


async def make_citizens(count: int, *, first_index: int = 0) -> list[BenchCitizen]:
    """`count` verified citizens with tokens (settings from the environment)."""
    async with open_services(Settings()) as services:
        await services.ensure_indexes()
        identity = services.identity
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(index: int) -> BenchCitizen:
            async with gate:
                citizen = await identity.citizens.get_or_create_by_phone(f"139{index:08d}")
                await identity.citizens.verify_real_name(
                    citizen.id, name=f"测试{index}", id_number=id_number(index)
                )
                session = await identity.sessions.start(
                    citizen.id, client_ip="127.0.0.1", user_agent="mychangsha-bench"
                )
                issued = await identity.tokens.issue(
                    citizen_id=citizen.id, session_id=session.session_id, level=2
                )
                return BenchCitizen(citizen.id, issued.token)

        return list(
            await asyncio.gather(*(one(i) for i in range(first_index, first_index + count)))
        )
