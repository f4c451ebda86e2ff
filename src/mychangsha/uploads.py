"""Uploaded materials: what is accepted, judged by content, and how much of it.

A file's name and declared content type are the client's word; its first bytes are not. A
PDF renamed to `.jpg`, or an executable renamed to `.pdf`, is recognised for what it is.
Limits are per file and per application, and the transport refuses an oversized multipart
body before it is parsed at all.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 30 * 1024 * 1024
MAX_FILES = 10
# The whole multipart request: the files plus the operations document and form overhead.
MAX_MULTIPART_BYTES = MAX_TOTAL_BYTES + 1024 * 1024

_SIGNATURES: tuple[tuple[str, bytes, str], ...] = (
    ("pdf", b"%PDF-", "application/pdf"),
    ("jpg", b"\xff\xd8\xff", "image/jpeg"),
    ("png", b"\x89PNG\r\n\x1a\n", "image/png"),
)
SNIFF_BYTES = 8


@dataclass(frozen=True)
class FileKind:
    """What a file's content says it is."""

    extension: str
    media_type: str


def sniff(head: bytes) -> FileKind | None:
    """The kind of file these first bytes start, if it is one we accept."""
    for extension, magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return FileKind(extension, media_type)
    return None
