"""The identity part of the graph: sign-in, sessions, the citizen, family and consent."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.permission import PermissionExtension

from mychangsha.auth import otp
from mychangsha.auth.idcard import mask_id_number, mask_phone, parse_id_number
from mychangsha.auth.permissions import IsAuthenticated, MinVerificationLevel, may_act_for
from mychangsha.errors import BadUserInput, Forbidden
from mychangsha.i18n import msg
from mychangsha.platform.clock import today_in_changsha
from mychangsha.resolvers import identity as resolvers
from mychangsha.schema.common import Info
from mychangsha.schema.localized import label_of, localized_message
from mychangsha.schema.mutation_limits import mutation
from mychangsha.storage.citizens import CitizenRecord, FamilyMemberRecord

if TYPE_CHECKING:
    from mychangsha.schema.medical import DataAccessConnection

# --- typed errors -----------------------------------------------------------------------------


@strawberry.interface(description="An expected failure a client shows to the citizen.")
class UserError:
    message: str = localized_message(description="What to tell the citizen, in their language.")


@strawberry.type(description="Too many attempts; try again after retryAfterSeconds.")
class RateLimited(UserError):
    retry_after_seconds: int


@strawberry.type(description="An argument is malformed; `field` names it.")
class InvalidInput(UserError):
    field: str


@strawberry.type(description="Wrong, expired or used-up code.")
class InvalidCode(UserError):
    attempts_left: int = strawberry.field(description="Tries the current code has left.")


@strawberry.type(description="The binding token is unknown, expired or already used.")
class InvalidBindingToken(UserError):
    pass


@strawberry.type(description="WeChat did not accept the login code; call wx.login() again.")
class InvalidWechatCode(UserError):
    pass


@strawberry.type(description="The refresh token cannot be used; sign in again.")
class InvalidRefreshToken(UserError):
    pass


@strawberry.type(description="The name and ID number were not confirmed.")
class VerificationFailed(UserError):
    pass


@strawberry.type(description="This needs a higher verification level.")
class VerificationRequired(UserError):
    required_level: int


@strawberry.type(description="The family already has the most members allowed.")
class FamilyFull(UserError):
    max_members: int


@strawberry.type(description="This person is already a family member.")
class AlreadyInFamily(UserError):
    pass


# --- the citizen and family -------------------------------------------------------------------


@strawberry.enum(description="How a family member is related to the citizen.")
class FamilyRelation(enum.Enum):
    CHILD = "CHILD"
    PARENT = "PARENT"
    SPOUSE = "SPOUSE"
    GRANDPARENT = "GRANDPARENT"
    GRANDCHILD = "GRANDCHILD"
    SIBLING = "SIBLING"
    OTHER = "OTHER"


@strawberry.enum(description="Sex as recorded on the ID card.")
class Sex(enum.Enum):
    FEMALE = "female"
    MALE = "male"


@strawberry.type(description="Personal details a guardian or consented relative may see.")
class PersonDetails:
    birth_date: date
    sex: Sex
    age: int


@strawberry.type(description="A person the citizen books and pays for.")
class FamilyMember(relay.Node):
    id: relay.NodeID[str]
    name: str
    relation: FamilyRelation
    relation_label: str = label_of("relation", description="The relation, in words.")
    masked_id_number: str
    age: int
    is_minor: bool
    consent_granted: bool = strawberry.field(
        description="An adult member consented to the citizen acting for them."
    )
    may_act_for: bool = strawberry.field(
        description="Whether the citizen may book, pay and see records for this person."
    )
    _record: strawberry.Private[FamilyMemberRecord]

    @classmethod
    def from_domain(cls, member: FamilyMemberRecord, owner: CitizenRecord | None) -> Self:
        """The graph's view of a family member, as their owner sees it."""
        today = today_in_changsha()
        parsed = parse_id_number(member.id_number, today=today)
        return cls(
            id=member.id,
            name=member.name,
            relation=FamilyRelation(member.relation),
            masked_id_number=mask_id_number(member.id_number),
            age=parsed.age_on(today),
            is_minor=parsed.is_minor_on(today),
            consent_granted=member.consent_granted_by is not None,
            may_act_for=owner is not None and may_act_for(owner, member, today=today),
            _record=member,
        )

    @strawberry.field(description="FORBIDDEN unless a guardian or consented: minors, or consent.")
    async def details(self, info: Info) -> PersonDetails:
        owner = await resolvers.current_citizen(info.context)
        if not self.may_act_for or owner.id != self._record.owner_id:
            raise Forbidden("Only a guardian, or someone this adult consented to, may see this.")
        parsed = parse_id_number(self._record.id_number, today=today_in_changsha())
        return PersonDetails(
            birth_date=parsed.birth_date,
            sex=Sex(parsed.sex),
            age=parsed.age_on(today_in_changsha()),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Only the citizen who listed a family member can look them up."""
        citizen = await resolvers.current_citizen(info.context)
        found = await info.context.loader(resolvers.FamilyMemberByIdLoader).load_many(
            list(node_ids)
        )
        out: list[Self | None] = []
        for member in found:
            if member is not None and member.owner_id != citizen.id:
                raise Forbidden("This is not your family member.")
            out.append(None if member is None else cls.from_domain(member, citizen))
        return out


@strawberry.type(description="Another citizen listed you as family; you may consent or not.")
class ConsentRequest:
    family_member_id: relay.GlobalID
    relation: FamilyRelation
    relation_label: str = label_of("relation", description="The relation, in words.")
    name_as_entered: str
    granted: bool
    requested_at: datetime


@strawberry.type(description="A signed-in resident of the city.")
class Citizen(relay.Node):
    id: relay.NodeID[str]
    name: str | None = strawberry.field(description="Set by real-name verification.")
    masked_phone: str
    masked_id_number: str | None
    verification_level: int = strawberry.field(
        description="1: phone verified; 2: real name verified (needed for medical data)."
    )
    _record: strawberry.Private[CitizenRecord]

    @classmethod
    def from_domain(cls, citizen: CitizenRecord) -> Self:
        """The graph's view of a citizen (only ever shown to themselves)."""
        return cls(
            id=citizen.id,
            name=citizen.name,
            masked_phone=mask_phone(citizen.phone),
            masked_id_number=None
            if citizen.id_number is None
            else mask_id_number(citizen.id_number),
            verification_level=citizen.verification_level,
            _record=citizen,
        )

    @strawberry.field(description="Family members, in the order they were added.")
    async def family(self, info: Info) -> list[FamilyMember]:
        members = await info.context.loader(resolvers.FamilyByOwnerIdLoader).load(self.id)
        return [FamilyMember.from_domain(m, self._record) for m in members]

    @strawberry.field(
        description="Where other citizens listed you as family (needs level 2).",
        extensions=[PermissionExtension(permissions=[MinVerificationLevel(2)])],
    )
    async def consent_requests(self, info: Info) -> list[ConsentRequest]:
        requests = await resolvers.consent_requests(info.context, self._record)
        return [
            ConsentRequest(
                family_member_id=relay.GlobalID("FamilyMember", r.id),
                relation=FamilyRelation(r.relation),
                name_as_entered=r.name,
                granted=r.consent_granted_by == self.id,
                requested_at=r.created_at,
            )
            for r in requests
            if r.owner_id != self.id
        ]

    @strawberry.field(description="Who read your and your family's medical data, newest first.")
    async def data_access_log(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Annotated[DataAccessConnection, strawberry.lazy("mychangsha.schema.medical")]:
        from mychangsha.schema.medical import data_access_log

        return await data_access_log(info, self.id, first, after)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """A citizen can look up only themselves."""
        citizen = await resolvers.current_citizen(info.context)
        ids = list(node_ids)
        if any(i != citizen.id for i in ids):
            raise Forbidden("You can only see your own account.")
        return [cls.from_domain(citizen) for _ in ids]


# --- sign-in results --------------------------------------------------------------------------


@strawberry.type(description="The code is on its way by SMS.")
class OtpSent:
    expires_in_seconds: int
    retry_after_seconds: int = strawberry.field(description="When another code may be sent.")


@strawberry.type(description="A signed-in session: send accessToken as `Authorization: Bearer`.")
class AuthSession:
    access_token: str
    refresh_token: str = strawberry.field(description="Single use: each refresh returns a new one.")
    expires_in: int = strawberry.field(description="Seconds the access token is valid.")
    citizen: Citizen


@strawberry.type(
    description="This WeChat user has no account yet: sign in by phone with this token."
)
class PhoneBindingRequired:
    binding_token: str
    message: str = localized_message(default=msg("Confirm your phone number to finish signing in."))


@strawberry.type(description="The family member was removed.")
class FamilyMemberRemoved:
    id: relay.GlobalID


AuthOtpRequestResult = Annotated[
    OtpSent | RateLimited | InvalidInput, strawberry.union("AuthOtpRequestResult")
]
AuthOtpLoginResult = Annotated[
    AuthSession | InvalidCode | RateLimited | InvalidInput | InvalidBindingToken,
    strawberry.union("AuthOtpLoginResult"),
]
AuthWechatLoginResult = Annotated[
    AuthSession | PhoneBindingRequired | InvalidWechatCode,
    strawberry.union("AuthWechatLoginResult"),
]
AuthRefreshResult = Annotated[
    AuthSession | InvalidRefreshToken, strawberry.union("AuthRefreshResult")
]
CitizenVerifyRealNameResult = Annotated[
    Citizen | VerificationFailed | InvalidInput, strawberry.union("CitizenVerifyRealNameResult")
]
FamilyMemberAddResult = Annotated[
    FamilyMember | InvalidInput | FamilyFull | AlreadyInFamily | VerificationRequired,
    strawberry.union("FamilyMemberAddResult"),
]


def _limited(outcome: otp.Limited) -> RateLimited:
    if outcome.unavailable:  # the limits could not be checked: refused, but not the citizen's doing
        message = msg("Sign-in is briefly unavailable; try again in {n} s.", n=outcome.retry_after)
    else:
        message = msg("Too many attempts; try again in {n} s.", n=outcome.retry_after)
    return RateLimited(message=message, retry_after_seconds=outcome.retry_after)


def _invalid(outcome: resolvers.InvalidInput) -> InvalidInput:
    return InvalidInput(message=outcome.message, field=outcome.field)


def _session(signed_in: resolvers.SignedIn) -> AuthSession:
    return AuthSession(
        access_token=signed_in.access_token,
        refresh_token=signed_in.refresh_token,
        expires_in=signed_in.expires_in,
        citizen=Citizen.from_domain(signed_in.citizen),
    )


@strawberry.input(description="A person to add to the family.")
class FamilyMemberInput:
    name: str
    id_number: str
    relation: FamilyRelation


# --- root fields ------------------------------------------------------------------------------


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description="The signed-in citizen; UNAUTHENTICATED without a valid token.",
        permission_classes=[IsAuthenticated],
    )
    async def me(self, info: Info) -> Citizen:
        return Citizen.from_domain(await resolvers.current_citizen(info.context))


@strawberry.type
class IdentityMutation:
    @mutation(description="Send a 6-digit sign-in code by SMS.")
    async def auth_otp_request(self, info: Info, phone: str) -> AuthOtpRequestResult:
        outcome = await resolvers.request_code(info.context, phone)
        if isinstance(outcome, otp.CodeSent):
            return OtpSent(
                expires_in_seconds=outcome.expires_in, retry_after_seconds=outcome.retry_after
            )
        if isinstance(outcome, otp.Limited):
            return _limited(outcome)
        return _invalid(outcome)

    @mutation(description="Sign in with the SMS code; with bindingToken, also link WeChat.")
    async def auth_otp_login(
        self, info: Info, phone: str, code: str, binding_token: str | None = None
    ) -> AuthOtpLoginResult:
        outcome = await resolvers.sign_in_with_code(info.context, phone, code, binding_token)
        if isinstance(outcome, resolvers.SignedIn):
            return _session(outcome)
        if isinstance(outcome, otp.CodeRejected):
            return InvalidCode(
                message="Wrong or expired code.", attempts_left=outcome.attempts_left
            )
        if isinstance(outcome, otp.Limited):
            return _limited(outcome)
        if isinstance(outcome, resolvers.BindingRejected):
            return InvalidBindingToken(message="Start again from the mini-program.")
        return _invalid(outcome)

    @mutation(description="Sign in from a mini-program with the code of wx.login().")
    async def auth_wechat_login(self, info: Info, code: str) -> AuthWechatLoginResult:
        outcome = await resolvers.sign_in_with_wechat(info.context, code)
        if isinstance(outcome, resolvers.SignedIn):
            return _session(outcome)
        if isinstance(outcome, resolvers.NeedsPhoneBinding):
            return PhoneBindingRequired(binding_token=outcome.binding_token)
        return InvalidWechatCode(message="WeChat did not accept the code; try again.")

    @mutation(description="Exchange a refresh token for new tokens; a reused one ends the session.")
    async def auth_refresh(self, info: Info, refresh_token: str) -> AuthRefreshResult:
        outcome = await resolvers.refresh(info.context, refresh_token)
        if isinstance(outcome, resolvers.SignedIn):
            return _session(outcome)
        return InvalidRefreshToken(message="Sign in again.")

    @mutation(description="End this session now: its tokens stop working at once.")
    async def auth_logout(self, info: Info) -> bool:
        return await resolvers.logout(info.context)

    @mutation(description="Verify your real name (level 2) with your ID card's name and number.")
    async def citizen_verify_real_name(
        self, info: Info, name: str, id_number: str
    ) -> CitizenVerifyRealNameResult:
        outcome = await resolvers.verify_real_name(info.context, name, id_number)
        if isinstance(outcome, CitizenRecord):
            return Citizen.from_domain(outcome)
        if isinstance(outcome, resolvers.RealNameRejected):
            return VerificationFailed(message=outcome.reason)
        return _invalid(outcome)

    @mutation(description="Add a child, parent or other relative (at most five).")
    async def family_member_add(
        self,
        info: Info,
        member: Annotated[FamilyMemberInput, strawberry.argument(name="input")],
    ) -> FamilyMemberAddResult:
        outcome = await resolvers.add_family_member(
            info.context, member.name, member.id_number, member.relation.value
        )
        if isinstance(outcome, FamilyMemberRecord):
            owner = await resolvers.current_citizen(info.context)
            return FamilyMember.from_domain(outcome, owner)
        if isinstance(outcome, resolvers.InvalidInput):
            return _invalid(outcome)
        if outcome.code == "FAMILY_FULL":
            return FamilyFull(message=outcome.message, max_members=5)
        if outcome.code == "ALREADY_IN_FAMILY":
            return AlreadyInFamily(message=outcome.message)
        return VerificationRequired(message=outcome.message, required_level=2)

    @mutation(description="Remove a family member; NOT_FOUND if it is not yours.")
    async def family_member_remove(self, info: Info, id: relay.GlobalID) -> FamilyMemberRemoved:
        removed = await resolvers.remove_family_member(info.context, _member_id(id))
        return FamilyMemberRemoved(id=relay.GlobalID("FamilyMember", removed))

    @mutation(description="As an adult listed by a relative, let them act for you.")
    async def family_consent_grant(self, info: Info, family_member_id: relay.GlobalID) -> bool:
        await resolvers.set_consent(info.context, _member_id(family_member_id), granted=True)
        return True

    @mutation(description="Withdraw a consent you granted.")
    async def family_consent_revoke(self, info: Info, family_member_id: relay.GlobalID) -> bool:
        await resolvers.set_consent(info.context, _member_id(family_member_id), granted=False)
        return True


def _member_id(global_id: relay.GlobalID) -> str:
    if global_id.type_name != "FamilyMember":
        raise BadUserInput("Not a family member ID.", field="id")
    return global_id.node_id
