"""Tells the request's record which operation ran and for whom (see record.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from mychangsha.context import Context
from mychangsha.observability.record import note_citizen, note_operation

CITIZEN_HASH_PURPOSE = "log.citizen"
CITIZEN_HASH_LENGTH = 16


class OperationRecorder(SchemaExtension):
    """Notes the operation's name and type, and the citizen's keyed hash when signed in.

    The token is never verified for this: only a request that already needed the citizen
    names one, so public operations cost nothing more.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        """After the operation: what ran and for whom."""
        yield
        execution = self.execution_context
        try:
            operation_type: str | None = execution.operation_type.value
        except RuntimeError:  # the document did not parse: there is no operation
            operation_type = None
        note_operation(execution.operation_name, operation_type)
        context = execution.context
        if isinstance(context, Context):
            note_citizen_of(context)


def note_citizen_of(context: Context) -> None:
    """The signed-in citizen's keyed hash, when the request has verified its token."""
    claims = context.verified_claims
    if claims is not None:
        cipher = context.services.identity.cipher
        digest = cipher.lookup_hash(claims.citizen_id, purpose=CITIZEN_HASH_PURPOSE)
        note_citizen(digest[:CITIZEN_HASH_LENGTH])
