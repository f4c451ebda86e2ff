"""Materials stream into GridFS, are judged by content and size, and never half-stored."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.storage import mongo
from mychangsha.storage.materials import IncomingMaterial, MaterialStore, UploadRejected
from mychangsha.storage.mongo import Document
from mychangsha.uploads import MAX_FILE_BYTES

PDF = b"%PDF-1.4\n" + b"0" * 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 500


class FakeUpload:
    """An in-memory file with the interface of starlette's UploadFile (not an upstream)."""

    def __init__(self, filename: str, content: bytes) -> None:
        self.filename = filename
        self._buffer = io.BytesIO(content)

    async def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = mongo.connect(mongo_url)
    database = client.get_database(f"test_materials_{uuid.uuid4().hex[:8]}")
    yield database
    await client.drop_database(database.name)
    await client.close()


def _incoming(name: str, filename: str, content: bytes) -> IncomingMaterial:
    return IncomingMaterial(name, FakeUpload(filename, content))


async def test_files_are_stored_and_read_back(db: AsyncDatabase[Document]) -> None:
    store = MaterialStore(db)
    stored = await store.store_all(
        [_incoming("身份证", "id.png", PNG), _incoming("申请书", "form.pdf", PDF)], owner_id="c1"
    )
    assert [(s.media_type, s.size) for s in stored] == [
        ("image/png", len(PNG)),
        ("application/pdf", len(PDF)),
    ]
    assert b"".join([c async for c in store.read(stored[1].id)]) == PDF
    assert await store.count_for("c1") == 2


async def test_a_disguised_file_is_refused_and_nothing_is_left(
    db: AsyncDatabase[Document],
) -> None:
    store = MaterialStore(db)
    with pytest.raises(UploadRejected) as refused:
        await store.store_all(
            [
                _incoming("申请书", "form.pdf", PDF),
                _incoming("照片", "photo.jpg", b"MZ\x90\x00rest"),
            ],
            owner_id="c2",
        )
    assert refused.value.material_name == "照片"
    assert await store.count_for("c2") == 0


async def test_too_large_and_too_many_are_refused(db: AsyncDatabase[Document]) -> None:
    store = MaterialStore(db)
    big = b"%PDF-1.4\n" + b"x" * MAX_FILE_BYTES
    with pytest.raises(UploadRejected, match="10 MB"):
        await store.store_all([_incoming("申请书", "big.pdf", big)], owner_id="c3")
    with pytest.raises(UploadRejected, match="at most"):
        await store.store_all([_incoming(f"m{n}", "a.pdf", PDF) for n in range(11)], owner_id="c3")
    assert await store.count_for("c3") == 0
