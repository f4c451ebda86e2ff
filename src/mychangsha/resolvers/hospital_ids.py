"""Global ids of hospital objects: the hospital code and the hospital's own FHIR id.

FHIR logical ids are unique only within one hospital's server, so every hospital object the
graph exposes is named `{hospitalCode}/{fhirId}` inside its Relay global id.
"""

from __future__ import annotations

from dataclasses import dataclass

from strawberry import relay

from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg


@dataclass(frozen=True)
class HospitalRef:
    """A FHIR resource of one hospital."""

    hospital_code: str
    fhir_id: str

    @property
    def node_id(self) -> str:
        """The id inside the Relay global id."""
        return f"{self.hospital_code}/{self.fhir_id}"


def ref(node_id: str) -> HospitalRef:
    """Split a node id; BAD_USER_INPUT when it is not `{code}/{id}`."""
    code, sep, fhir_id = node_id.partition("/")
    if not (sep and code and fhir_id) or "/" in fhir_id:
        raise BadUserInput("Not an id of a hospital object.")
    return HospitalRef(code, fhir_id)


def ref_of(global_id: relay.GlobalID, type_name: str, *, field: str) -> HospitalRef:
    """The reference inside a global id of the expected type."""
    if global_id.type_name != type_name:
        raise BadUserInput(msg("Not a {type} id.", type=type_name), field=field)
    try:
        return ref(global_id.node_id)
    except BadUserInput as exc:
        raise BadUserInput(exc.message, field=field) from exc
