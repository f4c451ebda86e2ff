"""Which document a request runs: Apollo's Automatic Persisted Queries and trusted documents.

A request may carry `extensions.persistedQuery = {"version": 1, "sha256Hash": …}` instead of,
or next to, its `query`. Apollo's protocol: a hash alone runs the document registered under
it, or answers `PersistedQueryNotFound` (HTTP 200, so clients and CDNs treat it as an answer
to retry, not a failure); the client then sends text and hash, the server checks that the hash
is the text's SHA-256, registers the text and runs it. In trusted-documents mode only the
manifest's documents run — by hash or by their exact text — and nothing new is registered,
so a stolen token cannot run an operation the app never ships.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from graphql import GraphQLError, GraphQLSchema, parse, specified_rules, validate

from mychangsha.cache.apq import MAX_DOCUMENT_BYTES
from mychangsha.schema.limits import MAX_TOKENS, RULES
from mychangsha.settings import Settings
from mychangsha.trusted import (
    ManifestError,
    TrustedDocuments,
    document_hash,
    load_trusted_documents,
)

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"


class DocumentStore(Protocol):
    """Where registered APQ documents live (cache.apq.APQStore)."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...


class PersistedQueryError(Exception):
    """The request names no document this graph will run; nothing was executed."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def not_found() -> PersistedQueryError:
    """Apollo's answer to an unknown hash: clients retry with the text (or, if trusted, give up)."""
    return PersistedQueryError(200, "PersistedQueryNotFound", NOT_FOUND)


@dataclass(frozen=True)
class PersistedQueries:
    """The policy of one graph process: its trusted documents and whether only they run."""

    schema: GraphQLSchema
    trusted: TrustedDocuments | None
    trusted_only: bool

    async def resolve(
        self, store: DocumentStore, query: str | None, extensions: Mapping[str, object] | None
    ) -> str | None:
        """The document to execute, registering it under its hash when the protocol says so."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.trusted_only and query is not None and not self._is_trusted_text(query):
                raise not_found()
            return query
        sha256 = _checked_hash(persisted)
        if query is None:
            return await self._by_hash(store, sha256)
        if document_hash(query) != sha256:
            raise PersistedQueryError(400, "provided sha does not match query", "BAD_USER_INPUT")
        if self.trusted is not None and self.trusted.by_hash(sha256) is not None:
            return query
        if self.trusted_only:
            raise not_found()
        if self._registrable(query):
            await store.put(sha256, query)
        return query

    async def _by_hash(self, store: DocumentStore, sha256: str) -> str:
        if self.trusted is not None and (document := self.trusted.by_hash(sha256)) is not None:
            return document
        if not self.trusted_only and (document := await store.get(sha256)) is not None:
            return document
        raise not_found()

    def _is_trusted_text(self, query: str) -> bool:
        return self.trusted is not None and self.trusted.contains_text(query)

    def _registrable(self, query: str) -> bool:
        """Only documents that could run are kept: small, parseable and valid for this schema.

        A document over the size limit or one that fails validation still executes (and
        reports its errors); it is just not remembered, so junk cannot fill the store.
        """
        if len(query.encode("utf-8")) > MAX_DOCUMENT_BYTES:
            return False
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return False
        return not validate(self.schema, document, [*specified_rules, *RULES])


def _checked_hash(persisted: object) -> str:
    """The lower-case hash of a well-formed `persistedQuery` extension of version 1."""
    if not isinstance(persisted, Mapping):
        raise PersistedQueryError(
            400, "extensions.persistedQuery must be an object", "BAD_USER_INPUT"
        )
    if persisted.get("version") != 1:
        raise PersistedQueryError(400, "Unsupported persisted query version", NOT_SUPPORTED)
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256):
        raise PersistedQueryError(
            400, "persistedQuery.sha256Hash must be a SHA-256 hex digest", "BAD_USER_INPUT"
        )
    return sha256.lower()


def persisted_queries(settings: Settings, schema: GraphQLSchema) -> PersistedQueries:
    """The process's policy; refuses to start trusted-only with no documents to trust."""
    trusted = load_trusted_documents(
        manifest=settings.trusted_documents_manifest, directory=settings.trusted_documents_dir
    )
    if settings.trusted_only and not trusted:
        raise ManifestError(
            "TRUSTED_DOCUMENTS_ONLY is on but no trusted documents were found: set "
            "TRUSTED_DOCUMENTS_MANIFEST or TRUSTED_DOCUMENTS_DIR"
        )
    return PersistedQueries(schema=schema, trusted=trusted, trusted_only=settings.trusted_only)
