"""Which language a request wants, from its Accept-Language header (RFC 9110 §12.5.4)."""

from __future__ import annotations

from functools import lru_cache
from typing import Final, Literal

Locale = Literal["zh-CN", "en"]

DEFAULT_LOCALE: Final[Locale] = "zh-CN"

MAX_HEADER_LENGTH: Final = 256  # longer headers are cut: nobody needs more, and it is cached


def _locale_of(tag: str) -> Locale | None:
    """The supported language a language range stands for; `*` and the rest are unknown.

    Every Chinese range (zh, zh-CN, zh-Hans, zh-TW …) maps to zh-CN, the only Chinese we
    write; every English range (en, en-US, en-GB …) maps to en.
    """
    primary = tag.split("-", 1)[0]
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def _quality(parameters: list[str]) -> float:
    """The q-value of a language range; malformed ones count as 0 (not acceptable)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


@lru_cache(maxsize=512)
def _negotiate(header: str) -> Locale:
    best: Locale = DEFAULT_LOCALE
    best_q = 0.0
    for item in header.split(","):
        tag, *parameters = item.strip().lower().split(";")
        locale = _locale_of(tag.strip())
        q = _quality(parameters)
        if locale is not None and q > best_q:  # ties keep the earlier, as the client listed
            best, best_q = locale, q
    return best


def negotiate(accept_language: str | None) -> Locale:
    """The supported language the client prefers most; zh-CN when it names none we have."""
    if not accept_language:
        return DEFAULT_LOCALE
    return _negotiate(accept_language[:MAX_HEADER_LENGTH])
