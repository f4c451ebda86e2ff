"""A small, valid PDF of a certificate: what `GET /v1/certificates/{id}/file` downloads.

Written by hand (no PDF library) as PDF 1.4 with a correct cross-reference table. Chinese text
uses the standard Adobe-GB1 CID font `STSong-Light` with the `UniGB-UCS2-H` encoding, which
PDF readers provide themselves, so nothing is embedded and the file stays a few kilobytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["certificate_pdf"]

_PAGE: Final = (595, 420)  # A5 landscape, in points
_FONT_OBJECTS: Final = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
    b"/DescendantFonts [6 0 R] >>",
    b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
    b"/FontDescriptor 7 0 R /DW 1000 >>",
    b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
    b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
    b"/CapHeight 880 /StemV 93 >>",
)


def _hex_text(text: str) -> bytes:
    """A PDF hex string in UCS-2 big-endian, as the UniGB-UCS2-H encoding expects."""
    encodable = "".join(ch if ord(ch) <= 0xFFFF else "?" for ch in text)
    return b"<" + encodable.encode("utf-16-be").hex().upper().encode() + b">"


def _content(title: str, lines: Sequence[str]) -> bytes:
    """The page's drawing operators: a border, the title, then one line per entry."""
    width, height = _PAGE
    ops = [
        b"0.6 0.1 0.1 RG 2 w",
        f"20 20 {width - 40} {height - 40} re S".encode(),
        b"BT /F1 22 Tf",
        f"1 0 0 1 60 {height - 80} Tm".encode(),
        _hex_text(title) + b" Tj",
        b"/F1 12 Tf",
    ]
    y = height - 120
    for line in lines:
        ops.append(f"1 0 0 1 60 {y} Tm".encode())
        ops.append(_hex_text(line) + b" Tj")
        y -= 22
    ops.append(b"ET")
    return b"\n".join(ops)


def certificate_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF with the title and the lines, every offset in its xref table right."""
    content = _content(title, lines)
    width, height = _PAGE
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        *_FONT_OBJECTS,
        b"<< /Producer (Changsha government platform simulator) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)
