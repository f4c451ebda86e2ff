"""Trusted documents: the operations the app ships, keyed by the SHA-256 of their text.

The manifest maps `sha256 hex → document`, the shape Apollo's and Relay's persisted-document
tooling produce. A document is a `.graphql` file's text with leading and trailing whitespace
removed, so an editor's final newline never changes a hash; its key is the SHA-256 of that
text's UTF-8 bytes — exactly the hash an APQ client computes when it sends the same text. A
client therefore sends either the hash alone (`extensions.persistedQuery.sha256Hash`) or the
document text itself, and both name the same trusted document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

# Where the operations live in a source checkout; installed packages have no such directory.
REPO_OPERATIONS_DIR = Path(__file__).resolve().parents[2] / "clients" / "operations"


class ManifestError(ValueError):
    """A manifest file or operations directory cannot be used."""


def document_hash(text: str) -> str:
    """The SHA-256 hex of a document's UTF-8 text: the key of APQ and of the manifest."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """A file's text as a document: surrounding whitespace is not part of it."""
    return text.strip()


def manifest_from_directory(directory: Path) -> dict[str, str]:
    """Every `*.graphql` file of a directory, keyed by its hash, in a stable order."""
    if not directory.is_dir():
        raise ManifestError(f"{directory} is not a directory")
    documents = (
        normalise(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.graphql"))
    )
    return {document_hash(d): d for d in documents}


def read_manifest(path: Path) -> dict[str, str]:
    """A manifest from `mychangsha trusted-documents`; every key is checked against its text."""
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: a manifest is a JSON object of hash → document")
    manifest: dict[str, str] = {}
    for key, document in raw.items():
        if not isinstance(document, str) or document_hash(document) != key:
            raise ManifestError(f"{path}: entry {key} is not the SHA-256 of its document")
        manifest[key] = document
    return manifest


def encode_manifest(manifest: Mapping[str, str]) -> bytes:
    """The manifest as the committed/deployed JSON file: sorted, indented, Chinese kept."""
    return orjson.dumps(dict(manifest), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


@dataclass(frozen=True)
class TrustedDocuments:
    """The documents this graph knows ahead of time, looked up by hash or by text."""

    documents: Mapping[str, str]

    def by_hash(self, sha256: str) -> str | None:
        """The trusted document with this hash, if there is one."""
        return self.documents.get(sha256.lower())

    def contains_text(self, text: str) -> bool:
        """True when the text is a trusted document (surrounding whitespace aside)."""
        return normalise(text) == self.documents.get(document_hash(normalise(text)))

    def __len__(self) -> int:
        return len(self.documents)


def load_trusted_documents(
    *, manifest: Path | None, directory: Path | None
) -> TrustedDocuments | None:
    """The manifest file if one is named, else the directory's operations, else none."""
    if manifest is not None:
        return TrustedDocuments(read_manifest(manifest))
    if directory is not None:
        return TrustedDocuments(manifest_from_directory(directory))
    if REPO_OPERATIONS_DIR.is_dir():
        return TrustedDocuments(manifest_from_directory(REPO_OPERATIONS_DIR))
    return None
