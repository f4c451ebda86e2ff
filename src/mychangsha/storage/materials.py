"""Uploaded application materials in GridFS: checked while they stream in, removed on failure.

Each file is read in chunks into GridFS; its first bytes decide its type (see `uploads`),
and the per-file and per-application byte budgets are enforced as the bytes arrive, so an
oversized or disguised file is refused without ever being held whole. A batch either ends
stored completely or not at all: whatever was written before a refusal is deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.i18n import msg
from mychangsha.storage.mongo import Document
from mychangsha.uploads import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, SNIFF_BYTES, sniff

CHUNK = 256 * 1024


class UploadedFile(Protocol):
    """What the transport hands over for one file (starlette's UploadFile fits)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class IncomingMaterial:
    """One file for one named material of a service."""

    material_name: str
    file: UploadedFile


@dataclass(frozen=True)
class StoredMaterial:
    """A material as kept: its GridFS id, what it is, and a digest for audits."""

    id: str
    material_name: str
    filename: str
    media_type: str
    size: int
    sha256: str


class UploadRejected(Exception):
    """A file is not acceptable; `material_name` says which, `reason` why."""

    def __init__(self, material_name: str, reason: str) -> None:
        super().__init__(f"{material_name}: {reason}")
        self.material_name = material_name
        self.reason = reason


class MaterialStore:
    """Materials in GridFS (bucket `materials`)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name="materials")
        self._files = db.get_collection("materials.files")

    async def store_all(
        self, materials: Sequence[IncomingMaterial], *, owner_id: str
    ) -> list[StoredMaterial]:
        """Store a whole batch, or nothing: UploadRejected after cleaning up."""
        if len(materials) > MAX_FILES:
            raise UploadRejected("materials", msg("at most {n} files per application", n=MAX_FILES))
        stored: list[StoredMaterial] = []
        budget = MAX_TOTAL_BYTES
        try:
            for material in materials:
                item = await self._store(material, owner_id, budget)
                budget -= item.size
                stored.append(item)
        except BaseException:
            await self.delete([s.id for s in stored])
            raise
        return stored

    async def _store(
        self, material: IncomingMaterial, owner_id: str, budget: int
    ) -> StoredMaterial:
        head = await material.file.read(SNIFF_BYTES)
        kind = sniff(head)
        if kind is None:
            raise UploadRejected(material.material_name, "only PDF, JPEG or PNG files")
        name = material.file.filename or f"{material.material_name}.{kind.extension}"
        file_id = ObjectId()
        digest = hashlib.sha256(head)
        size = len(head)
        stream = self._bucket.open_upload_stream_with_id(
            file_id,
            name,
            metadata={
                "owner": owner_id,
                "material": material.material_name,
                "type": kind.media_type,
            },
        )
        try:
            await stream.write(head)
            while chunk := await material.file.read(CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise UploadRejected(material.material_name, "larger than 10 MB")
                if size > budget:
                    raise UploadRejected(material.material_name, "the application exceeds 30 MB")
                digest.update(chunk)
                await stream.write(chunk)
        except BaseException:
            await stream.abort()
            raise
        await stream.close()
        return StoredMaterial(
            str(file_id), material.material_name, name, kind.media_type, size, digest.hexdigest()
        )

    async def read(self, material_id: str) -> AsyncIterator[bytes]:
        """A stored file's bytes, chunk by chunk (to stream them on to the platform)."""
        stream = await self._bucket.open_download_stream(ObjectId(material_id))
        while chunk := await stream.readchunk():
            yield chunk

    async def delete(self, material_ids: Sequence[str]) -> None:
        """Remove files (a failed submission leaves none behind)."""
        for material_id in material_ids:
            with contextlib.suppress(NoFile):  # already gone counts as deleted
                await self._bucket.delete(ObjectId(material_id))

    async def count_for(self, owner_id: str) -> int:
        """How many files an owner has stored (tests prove nothing is left behind)."""
        return int(await self._files.count_documents({"metadata.owner": owner_id}))
