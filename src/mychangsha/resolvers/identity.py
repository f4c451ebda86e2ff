"""What the identity fields mean: sign-in, sessions, real-name verification and family.

Each function returns a domain outcome (a record, or a small dataclass naming why not); the
schema turns outcomes into the typed union members clients switch on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from mychangsha.auth.idcard import (
    IdNumber,
    InvalidIdNumber,
    InvalidPhone,
    normalize_phone,
    parse_id_number,
)
from mychangsha.auth.otp import CodeRejected, CodeSent, Limited
from mychangsha.auth.ratelimit import Limit
from mychangsha.auth.sessions import InvalidRefreshToken, SessionGrant
from mychangsha.context import Context
from mychangsha.errors import NotFound, RateLimited, Unauthenticated
from mychangsha.i18n import msg
from mychangsha.integrations.realname.client import RealNameResult
from mychangsha.integrations.wechat.client import WechatCodeRejected
from mychangsha.platform.clock import today_in_changsha
from mychangsha.services import Services
from mychangsha.storage.citizens import (
    MAX_FAMILY_MEMBERS,
    AlreadyInFamily,
    CitizenRecord,
    FamilyFull,
    FamilyMemberRecord,
    IdNumberTaken,
)

REAL_NAME_PER_CITIZEN = Limit("realname.citizen", max_hits=5, window_seconds=86_400)
RELATIONS = ("CHILD", "PARENT", "SPOUSE", "GRANDPARENT", "GRANDCHILD", "SIBLING", "OTHER")
# Chinese names, including minority names with the middle dot, or Latin names with spaces.
_NAME = re.compile(r"^[\u3400-\u9fff\u00b7\u30fb·]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,49}$")


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A new or refreshed session."""

    access_token: str
    refresh_token: str
    expires_in: int
    citizen: CitizenRecord


@dataclass(frozen=True)
class InvalidInput:
    """An argument is malformed; which one and why."""

    field: str
    message: str


@dataclass(frozen=True)
class NeedsPhoneBinding:
    """A WeChat identity not linked to a citizen yet."""

    binding_token: str


@dataclass(frozen=True)
class BindingRejected:
    """The binding token is unknown, expired or spent."""


@dataclass(frozen=True)
class WechatCodeInvalid:
    """WeChat refused the login code (expired or used)."""


@dataclass(frozen=True)
class RefreshRejected:
    """The refresh token cannot be used; sign in again."""


@dataclass(frozen=True)
class RealNameRejected:
    """The verification service did not confirm the name and ID number."""

    reason: str


@dataclass(frozen=True)
class FamilyRejected:
    """A family member could not be added; why, as a code and a message."""

    code: str
    message: str


# --- loaders ----------------------------------------------------------------------------------


class CitizenByIdLoader(DataLoader[str, CitizenRecord | None]):
    """Citizens by id, batched per request."""

    def __init__(self, services: Services) -> None:
        async def load(ids: Sequence[str]) -> list[CitizenRecord | None]:
            found = await services.identity.citizens.by_ids(ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


class FamilyByOwnerIdLoader(DataLoader[str, list[FamilyMemberRecord]]):
    """Each citizen's family members, batched per request."""

    def __init__(self, services: Services) -> None:
        async def load(ids: Sequence[str]) -> list[list[FamilyMemberRecord]]:
            found = await services.identity.citizens.family_of(ids)
            return [found.get(i, []) for i in ids]

        super().__init__(load_fn=load)


class FamilyMemberByIdLoader(DataLoader[str, FamilyMemberRecord | None]):
    """Family members by id, batched per request."""

    def __init__(self, services: Services) -> None:
        async def load(ids: Sequence[str]) -> list[FamilyMemberRecord | None]:
            found = await services.identity.citizens.family_members_by_ids(ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


async def current_citizen(context: Context) -> CitizenRecord:
    """The signed-in citizen's record, or UNAUTHENTICATED."""
    claims = await context.require_claims()
    citizen = await context.loader(CitizenByIdLoader).load(claims.citizen_id)
    if citizen is None:
        raise Unauthenticated("Sign in again.")
    return citizen


# --- sign-in ----------------------------------------------------------------------------------


def _phone(raw: str) -> str | InvalidInput:
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        return InvalidInput(
            "phone", msg("Not a mainland mobile number: {reason}.", reason=exc.reason)
        )


async def request_code(context: Context, phone: str) -> CodeSent | Limited | InvalidInput:
    """Send a sign-in code by SMS."""
    normalized = _phone(phone)
    if isinstance(normalized, InvalidInput):
        return normalized
    return await context.services.identity.codes.send(normalized, client_ip=context.client_ip)


async def _grant(context: Context, grant: SessionGrant) -> SignedIn:
    citizen = await context.loader(CitizenByIdLoader).load(grant.citizen_id)
    if citizen is None:
        raise Unauthenticated("This account no longer exists.")
    issued = await context.services.identity.tokens.issue(
        citizen_id=citizen.id, session_id=grant.session_id, level=citizen.verification_level
    )
    return SignedIn(issued.token, grant.refresh_token, issued.expires_in, citizen)


async def sign_in_with_code(
    context: Context, phone: str, code: str, binding_token: str | None
) -> SignedIn | CodeRejected | Limited | InvalidInput | BindingRejected:
    """Sign in with a phone and its code; with a binding token, also link the WeChat identity."""
    identity = context.services.identity
    normalized = _phone(phone)
    if isinstance(normalized, InvalidInput):
        return normalized
    if binding_token is not None and await identity.bindings.peek(binding_token) is None:
        return BindingRejected()
    checked = await identity.codes.check(normalized, code.strip(), client_ip=context.client_ip)
    if checked is not True:
        return checked
    citizen = await identity.citizens.get_or_create_by_phone(normalized)
    if binding_token is not None:
        openid = await identity.bindings.consume(binding_token)
        if openid is None:  # spent by a concurrent sign-in between peek and now
            return BindingRejected()
        await identity.citizens.link_wechat(citizen.id, openid)
    grant = await identity.sessions.start(
        citizen.id, client_ip=context.client_ip, user_agent=context.user_agent
    )
    return await _grant(context, grant)


async def sign_in_with_wechat(
    context: Context, code: str
) -> SignedIn | NeedsPhoneBinding | WechatCodeInvalid:
    """Sign in from a mini-program; an unknown WeChat user first binds a phone."""
    identity = context.services.identity
    try:
        session = await identity.wechat.code_to_session(code)
    except WechatCodeRejected:
        return WechatCodeInvalid()
    citizen = await identity.citizens.by_wechat_openid(session.openid)
    if citizen is None:
        return NeedsPhoneBinding(await identity.bindings.create(session.openid))
    grant = await identity.sessions.start(
        citizen.id, client_ip=context.client_ip, user_agent=context.user_agent
    )
    return await _grant(context, grant)


async def refresh(context: Context, refresh_token: str) -> SignedIn | RefreshRejected:
    """Rotate the refresh token and issue a new access token."""
    try:
        grant = await context.services.identity.sessions.rotate(refresh_token)
    except InvalidRefreshToken:
        return RefreshRejected()
    return await _grant(context, grant)


async def logout(context: Context) -> bool:
    """Revoke the caller's session now; its access and refresh tokens stop working."""
    claims = await context.require_claims()
    await context.services.identity.sessions.revoke(claims.session_id, reason="logout")
    return True


# --- real name and family ---------------------------------------------------------------------


def _name(raw: str) -> str | InvalidInput:
    name = raw.strip()
    if not _NAME.match(name):
        return InvalidInput("name", "Give the name as on the ID card.")
    return name


def _id_number(raw: str, field: str = "idNumber") -> IdNumber | InvalidInput:
    try:
        return parse_id_number(raw, today=today_in_changsha())
    except InvalidIdNumber as exc:
        return InvalidInput(field, msg("Not a valid ID number: {reason}.", reason=exc.reason))


async def verify_real_name(
    context: Context, name: str, id_number: str
) -> CitizenRecord | RealNameRejected | InvalidInput:
    """Check the ID number locally, then with the verification service; level 2 on success."""
    citizen = await current_citizen(context)
    checked_name = _name(name)
    if isinstance(checked_name, InvalidInput):
        return checked_name
    parsed = _id_number(id_number)
    if isinstance(parsed, InvalidInput):
        return parsed
    identity = context.services.identity
    allowed = await identity.limiter.hit(REAL_NAME_PER_CITIZEN, citizen.id)
    if not allowed.allowed:
        raise RateLimited(max(int(allowed.retry_after + 0.999), 1))
    result = await identity.realname.verify(checked_name, parsed.value)
    if result is not RealNameResult.MATCH:
        return RealNameRejected("The name and ID number were not confirmed.")
    try:
        return await identity.citizens.verify_real_name(
            citizen.id, name=checked_name, id_number=parsed.value
        )
    except IdNumberTaken:
        return RealNameRejected("This ID number is already verified on another account.")


async def add_family_member(
    context: Context, name: str, id_number: str, relation: str
) -> FamilyMemberRecord | InvalidInput | FamilyRejected:
    """Add a family member (real-name verified citizens only, at most five)."""
    citizen = await current_citizen(context)
    if citizen.verification_level < 2:
        return FamilyRejected("VERIFICATION_REQUIRED", "Verify your real name first.")
    checked_name = _name(name)
    if isinstance(checked_name, InvalidInput):
        return checked_name
    parsed = _id_number(id_number, "input.idNumber")
    if isinstance(parsed, InvalidInput):
        return parsed
    if parsed.value == citizen.id_number:
        return InvalidInput("input.idNumber", "That is your own ID number.")
    try:
        return await context.services.identity.citizens.add_family_member(
            citizen.id,
            name=checked_name,
            id_number=parsed.value,
            relation=relation,
            birth_date=parsed.birth_date,
        )
    except FamilyFull:
        return FamilyRejected(
            "FAMILY_FULL", msg("At most {n} family members.", n=MAX_FAMILY_MEMBERS)
        )
    except AlreadyInFamily:
        return FamilyRejected("ALREADY_IN_FAMILY", "This person is already in your family.")


async def remove_family_member(context: Context, member_id: str) -> str:
    """Remove one of the caller's family members; NOT_FOUND when it is not theirs."""
    citizen = await current_citizen(context)
    if not await context.services.identity.citizens.remove_family_member(citizen.id, member_id):
        raise NotFound("No such family member.")
    return member_id


async def set_consent(context: Context, member_id: str, *, granted: bool) -> FamilyMemberRecord:
    """An adult grants (or withdraws) consent to the citizen who listed them as family."""
    citizen = await current_citizen(context)
    if citizen.id_number is None:
        raise NotFound("No such consent request.")
    changed = await context.services.identity.citizens.set_consent(
        member_id, grantor_id=citizen.id if granted else None, id_number=citizen.id_number
    )
    member = (await context.services.identity.citizens.family_members_by_ids([member_id])).get(
        member_id
    )
    if not changed or member is None:
        raise NotFound("No such consent request.")
    return member


async def consent_requests(context: Context, citizen: CitizenRecord) -> list[FamilyMemberRecord]:
    """Where other citizens listed this citizen as family: what they may consent to."""
    if citizen.id_number is None:
        return []
    return await context.services.identity.citizens.consent_requests_for(citizen.id_number)
