"""Accept-Language negotiation: q-values decide, Chinese is the default and the fallback."""

from __future__ import annotations

import pytest

from mychangsha.i18n import negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("en-US,en;q=0.9", "en"),
        ("en-GB;q=0.8", "en"),
        ("zh", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.5,zh;q=0.9", "zh-CN"),
        ("zh;q=0.5,en;q=0.9", "en"),
        ("zh;q=0.5, en ; q=0.9", "en"),
        ("fr-FR,fr;q=0.9", "zh-CN"),
        ("fr-FR,fr;q=0.9,en;q=0.1", "en"),
        ("*", "zh-CN"),
        ("en;q=0", "zh-CN"),
        ("en;q=abc", "zh-CN"),
        ("en;q=2", "zh-CN"),
        ("ja,en;q=0.7,zh;q=0.7", "en"),
        (",,;;q=", "zh-CN"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_an_oversized_header_is_cut_not_rejected() -> None:
    assert negotiate("en," + "x-y;q=0.1," * 1000) == "en"
