"""Reusable access rules: signed in, verified to a level, allowed to act for a person.

Every field that returns personal data uses these, so the rules live in one place. Failures
raise coded errors (UNAUTHENTICATED, FORBIDDEN) rather than strawberry's generic permission
error, so clients can tell "sign in" from "not yours". Levels are read from the citizen's
record, not the token: a citizen who just verified their real name is level 2 at once.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from strawberry.permission import BasePermission

from mychangsha.auth.idcard import parse_id_number
from mychangsha.errors import Forbidden
from mychangsha.storage.citizens import CitizenRecord, FamilyMemberRecord

if TYPE_CHECKING:
    from strawberry.types import Info

    from mychangsha.context import Context


class IsAuthenticated(BasePermission):
    """The caller presents a valid, unrevoked access token."""

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        await info.context.require_claims()
        return True


class MinVerificationLevel(BasePermission):
    """The caller is verified to at least a level; 2 guards medical, billing and applications.

    Use as `extensions=[PermissionExtension(permissions=[MinVerificationLevel(2)])]`.
    """

    def __init__(self, level: int) -> None:
        self.level = level

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        from mychangsha.resolvers.identity import current_citizen

        citizen = await current_citizen(info.context)
        if citizen.verification_level < self.level:
            raise Forbidden("Verify your real name first.", requiredLevel=self.level)
        return True


def may_act_for(citizen: CitizenRecord, member: FamilyMemberRecord, *, today: date) -> bool:
    """A guardian acts for the minors they added; an adult only with that adult's consent."""
    if member.owner_id != citizen.id:
        return False
    if parse_id_number(member.id_number, today=today).is_minor_on(today):
        return True
    return member.consent_granted_by is not None


def ensure_may_act_for(citizen: CitizenRecord, member: FamilyMemberRecord, *, today: date) -> None:
    """FORBIDDEN unless the citizen may act for this family member."""
    if not may_act_for(citizen, member, today=today):
        raise Forbidden("Only a guardian, or someone this adult consented to, may do this.")
