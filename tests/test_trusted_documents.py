"""The trusted-documents manifest: its keys, its file and the command that writes it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mychangsha.cli import main
from mychangsha.trusted import (
    REPO_OPERATIONS_DIR,
    ManifestError,
    TrustedDocuments,
    document_hash,
    load_trusted_documents,
    manifest_from_directory,
    read_manifest,
)


def test_keys_are_the_sha256_of_the_stripped_file_text(tmp_path: Path) -> None:
    (tmp_path / "Me.graphql").write_text("query Me {\n  me { id }\n}\n")
    manifest = manifest_from_directory(tmp_path)
    text = "query Me {\n  me { id }\n}"
    assert manifest == {hashlib.sha256(text.encode()).hexdigest(): text}


def test_lookup_by_hash_and_by_text() -> None:
    text = "query Me { me { id } }"
    trusted = TrustedDocuments({document_hash(text): text})
    assert trusted.by_hash(document_hash(text).upper()) == text
    assert trusted.contains_text(text + "\n")
    assert not trusted.contains_text("query Me { me { id name } }")


def test_the_command_writes_a_manifest_the_server_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "trusted-documents.json"
    with pytest.raises(SystemExit) as exit_:
        main(["trusted-documents", "--output", str(out)])
    assert exit_.value.code == 0
    manifest = json.loads(out.read_text(encoding="utf-8"))
    assert manifest == manifest_from_directory(REPO_OPERATIONS_DIR)
    assert len(manifest) == len(list(REPO_OPERATIONS_DIR.glob("*.graphql")))
    for key, document in manifest.items():
        assert key == hashlib.sha256(document.encode("utf-8")).hexdigest()
    loaded = load_trusted_documents(manifest=out, directory=None)
    assert loaded is not None and dict(loaded.documents) == manifest


def test_a_tampered_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({document_hash("{ me { id } }"): "{ me { id name } }"}))
    with pytest.raises(ManifestError):
        read_manifest(path)
