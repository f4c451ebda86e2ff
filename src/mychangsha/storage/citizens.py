"""Citizens, their family members and the consents adults grant, in MongoDB.

Phones and ID numbers are stored twice, neither time in clear: encrypted (AES-GCM, to show
them masked or pass them to an upstream) and as a keyed hash (to find a citizen by them under
a unique index). Names are stored as given.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.auth.crypto import FieldCipher
from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document

PHONE = "citizen.phone"
ID_NUMBER = "person.idNumber"
MAX_FAMILY_MEMBERS = 5


@dataclass(frozen=True)
class CitizenRecord:
    """A citizen as the graph knows them."""

    id: str
    phone: str
    verification_level: int
    name: str | None
    id_number: str | None
    created_at: datetime


@dataclass(frozen=True)
class FamilyMemberRecord:
    """A person a citizen books and pays for."""

    id: str
    owner_id: str
    name: str
    id_number: str
    relation: str
    birth_date: date
    consent_granted_by: str | None
    created_at: datetime


class FamilyFull(Exception):
    """The citizen already has the most family members allowed."""


class AlreadyInFamily(Exception):
    """That ID number is already among the citizen's family members."""


class IdNumberTaken(Exception):
    """Another citizen has already verified with that ID number."""


class CitizenRepository:
    """Citizens, family members and consents."""

    def __init__(self, db: AsyncDatabase[Document], cipher: FieldCipher) -> None:
        self._citizens: AsyncCollection[Document] = db.get_collection("citizens")
        self._family: AsyncCollection[Document] = db.get_collection("family_members")
        self._cipher = cipher

    async def ensure_indexes(self) -> None:
        """Unique look-ups by phone, WeChat openid and ID number; family by owner."""
        await self._citizens.create_index([("phone_hash", ASCENDING)], unique=True)
        await self._citizens.create_index([("wechat_openids", ASCENDING)], unique=True, sparse=True)
        await self._citizens.create_index([("id_number_hash", ASCENDING)], unique=True, sparse=True)
        await self._family.create_index(
            [("owner_id", ASCENDING), ("id_number_hash", ASCENDING)], unique=True
        )
        await self._family.create_index([("id_number_hash", ASCENDING)])

    def _phone_hash(self, phone: str) -> str:
        return self._cipher.lookup_hash(phone, purpose=PHONE)

    def id_number_hash(self, id_number: str) -> str:
        """The look-up key of an ID number."""
        return self._cipher.lookup_hash(id_number, purpose=ID_NUMBER)

    async def get_or_create_by_phone(self, phone: str) -> CitizenRecord:
        """The citizen with this verified phone, created on first sign-in (level 1)."""
        phone_hash = self._phone_hash(phone)
        for _ in range(2):  # two first sign-ins racing: the loser reads the winner's record
            try:
                doc = await self._citizens.find_one_and_update(
                    {"phone_hash": phone_hash},
                    {
                        "$setOnInsert": {
                            "_id": uuid.uuid4().hex,
                            "phone_enc": self._cipher.encrypt(phone, purpose=PHONE),
                            "verification_level": 1,
                            "family_count": 0,
                            "created_at": utc_now(),
                        }
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                continue
            if doc is not None:
                return self._citizen(doc)
        raise RuntimeError("citizen upsert did not converge")

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CitizenRecord]:
        """Citizens by id (DataLoader batch)."""
        return {
            str(doc["_id"]): self._citizen(doc)
            async for doc in self._citizens.find({"_id": {"$in": list(ids)}})
        }

    async def by_wechat_openid(self, openid: str) -> CitizenRecord | None:
        """The citizen who linked this mini-program identity."""
        doc = await self._citizens.find_one({"wechat_openids": openid})
        return None if doc is None else self._citizen(doc)

    async def link_wechat(self, citizen_id: str, openid: str) -> None:
        """Link a WeChat openid to a citizen; an openid belongs to one citizen only."""
        await self._citizens.update_one(
            {"_id": citizen_id}, {"$addToSet": {"wechat_openids": openid}}
        )

    async def verify_real_name(
        self, citizen_id: str, *, name: str, id_number: str
    ) -> CitizenRecord:
        """Record a real-name verification; level 2 from now on."""
        try:
            doc = await self._citizens.find_one_and_update(
                {"_id": citizen_id},
                {
                    "$set": {
                        "name": name,
                        "id_number_enc": self._cipher.encrypt(id_number, purpose=ID_NUMBER),
                        "id_number_hash": self.id_number_hash(id_number),
                        "verification_level": 2,
                        "verified_at": utc_now(),
                    }
                },
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError as exc:
            raise IdNumberTaken from exc
        if doc is None:
            raise LookupError(citizen_id)
        return self._citizen(doc)

    async def by_id_number(self, id_number: str) -> CitizenRecord | None:
        """The citizen verified with this ID number, if any."""
        doc = await self._citizens.find_one({"id_number_hash": self.id_number_hash(id_number)})
        return None if doc is None else self._citizen(doc)

    # --- family ---------------------------------------------------------------------------

    async def add_family_member(
        self, owner_id: str, *, name: str, id_number: str, relation: str, birth_date: date
    ) -> FamilyMemberRecord:
        """Add a family member; at most MAX_FAMILY_MEMBERS, each ID number once per family.

        The count is reserved on the citizen first with a conditional increment, so racing
        additions cannot exceed the limit; a failed insert gives the reservation back.
        """
        reserved = await self._citizens.update_one(
            {"_id": owner_id, "family_count": {"$lt": MAX_FAMILY_MEMBERS}},
            {"$inc": {"family_count": 1}},
        )
        if reserved.modified_count != 1:
            raise FamilyFull
        doc: Document = {
            "_id": uuid.uuid4().hex,
            "owner_id": owner_id,
            "name": name,
            "id_number_enc": self._cipher.encrypt(id_number, purpose=ID_NUMBER),
            "id_number_hash": self.id_number_hash(id_number),
            "relation": relation,
            "birth_date": datetime(birth_date.year, birth_date.month, birth_date.day, tzinfo=UTC),
            "consent_granted_by": None,
            "created_at": utc_now(),
        }
        try:
            await self._family.insert_one(doc)
        except DuplicateKeyError as exc:
            await self._citizens.update_one({"_id": owner_id}, {"$inc": {"family_count": -1}})
            raise AlreadyInFamily from exc
        return self._member(doc)

    async def remove_family_member(self, owner_id: str, member_id: str) -> bool:
        """Remove one of the citizen's family members; False if it was not theirs."""
        result = await self._family.delete_one({"_id": member_id, "owner_id": owner_id})
        if result.deleted_count == 1:
            await self._citizens.update_one({"_id": owner_id}, {"$inc": {"family_count": -1}})
            return True
        return False

    async def family_of(self, owner_ids: Sequence[str]) -> dict[str, list[FamilyMemberRecord]]:
        """Family members per citizen, oldest entry first (DataLoader batch)."""
        out: dict[str, list[FamilyMemberRecord]] = {o: [] for o in owner_ids}
        cursor = self._family.find({"owner_id": {"$in": list(owner_ids)}}).sort("created_at", 1)
        async for doc in cursor:
            out[str(doc["owner_id"])].append(self._member(doc))
        return out

    async def family_members_by_ids(self, ids: Sequence[str]) -> dict[str, FamilyMemberRecord]:
        """Family members by id (DataLoader batch)."""
        return {
            str(doc["_id"]): self._member(doc)
            async for doc in self._family.find({"_id": {"$in": list(ids)}})
        }

    async def consent_requests_for(self, id_number: str) -> list[FamilyMemberRecord]:
        """Entries other citizens made for this person: what they may consent to."""
        cursor = self._family.find({"id_number_hash": self.id_number_hash(id_number)})
        return [self._member(doc) async for doc in cursor.sort("created_at", 1)]

    async def set_consent(self, member_id: str, *, grantor_id: str | None, id_number: str) -> bool:
        """Grant (grantor set) or withdraw (None) consent on an entry naming this ID number."""
        result = await self._family.update_one(
            {"_id": member_id, "id_number_hash": self.id_number_hash(id_number)},
            {"$set": {"consent_granted_by": grantor_id}},
        )
        return result.matched_count == 1

    # --- mapping --------------------------------------------------------------------------

    def _citizen(self, doc: Document) -> CitizenRecord:
        id_number = doc.get("id_number_enc")
        return CitizenRecord(
            id=str(doc["_id"]),
            phone=self._cipher.decrypt(doc["phone_enc"], purpose=PHONE),
            verification_level=int(doc.get("verification_level", 1)),
            name=doc.get("name"),
            id_number=None
            if id_number is None
            else self._cipher.decrypt(id_number, purpose=ID_NUMBER),
            created_at=doc["created_at"],
        )

    def _member(self, doc: dict[str, Any]) -> FamilyMemberRecord:
        birth: datetime = doc["birth_date"]
        return FamilyMemberRecord(
            id=str(doc["_id"]),
            owner_id=str(doc["owner_id"]),
            name=str(doc["name"]),
            id_number=self._cipher.decrypt(doc["id_number_enc"], purpose=ID_NUMBER),
            relation=str(doc["relation"]),
            birth_date=birth.date(),
            consent_granted_by=doc.get("consent_granted_by"),
            created_at=doc["created_at"],
        )
