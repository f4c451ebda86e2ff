"""Who a medical field is about: the citizen or a family member they may act for.

Every hospital field that takes a `patientId` or returns someone's medical data asks this
module, so the rules (level 2, guardian of a minor, consent of an adult) and the audit
subjects are decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from strawberry import relay

from mychangsha.auth.permissions import ensure_may_act_for, may_act_for
from mychangsha.context import Context
from mychangsha.errors import BadUserInput, Forbidden, NotFound
from mychangsha.platform.clock import today_in_changsha
from mychangsha.resolvers.identity import (
    FamilyByOwnerIdLoader,
    FamilyMemberByIdLoader,
    current_citizen,
)
from mychangsha.storage.citizens import CitizenRecord


@dataclass(frozen=True)
class Patient:
    """A person medical data is about, and the accounts that may see who read it."""

    id: str
    name: str
    is_citizen: bool
    audit_owners: tuple[str, ...]  # citizen ids shown this person's data access log


class NeedsVerification(Forbidden):
    """The caller is below level 2: FORBIDDEN with `requiredLevel`, unless a field types it."""

    def __init__(self) -> None:
        super().__init__("Verify your real name first.", requiredLevel=2)


async def verified_citizen(context: Context) -> CitizenRecord:
    """The caller, real-name verified (level 2), or NeedsVerification."""
    citizen = await current_citizen(context)
    if citizen.verification_level < 2:
        raise NeedsVerification
    return citizen


async def patient_for(context: Context, patient_id: relay.GlobalID) -> Patient:
    """The patient a `patientId` names, if the caller may act for them; FORBIDDEN otherwise."""
    citizen = await verified_citizen(context)
    if patient_id.type_name == "Citizen":
        if patient_id.node_id != citizen.id:
            raise Forbidden("You can only act for yourself and your family.")
        return _self(citizen)
    if patient_id.type_name != "FamilyMember":
        raise BadUserInput("patientId must be you or a family member.", field="patientId")
    member = await context.loader(FamilyMemberByIdLoader).load(patient_id.node_id)
    if member is None:
        raise NotFound("No such family member.")
    ensure_may_act_for(citizen, member, today=today_in_changsha())
    owners = (citizen.id,) + ((member.consent_granted_by,) if member.consent_granted_by else ())
    return Patient(member.id, member.name, False, owners)


async def patients_of(context: Context) -> list[Patient]:
    """The caller and every family member they may act for."""
    citizen = await verified_citizen(context)
    members = await context.loader(FamilyByOwnerIdLoader).load(citizen.id)
    today = today_in_changsha()
    patients = [_self(citizen)]
    for member in members:
        if may_act_for(citizen, member, today=today):
            owners = (citizen.id,) + (
                (member.consent_granted_by,) if member.consent_granted_by else ()
            )
            patients.append(Patient(member.id, member.name, False, owners))
    return patients


def _self(citizen: CitizenRecord) -> Patient:
    return Patient(citizen.id, citizen.name or "", True, (citizen.id,))
