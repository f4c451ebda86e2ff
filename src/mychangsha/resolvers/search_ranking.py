"""How the global search ranks hits of different catalogues against each other.

Each catalogue ranks its own hits with finer, catalogue-specific rules (alias penalties,
bundles before services, distance); those numbers are not comparable across catalogues. This
module scores every hit on one scale from its name and aliases alone, so a hospital and a
government service can be put in one list:

    100 the name is the query            (湖南博物院 for 湖南博物院)
     90 the name starts with it          (岳麓山, 岳麓书院 for 岳麓)
     80 the name contains it             (中南大学湘雅医院 for 湘雅)
     70 the query spells the whole name  (yuelushan, yls for 岳麓山)
     60 it spells the name's beginning   (yuelu for 岳麓山, kaiban qiye for 开办企业一件事)
     50 it spells a word inside the name (xiangya for 中南大学湘雅医院)
  20-29 only other text matched (address, tags, departments, specialty, description), plus
        one for each of the query's Chinese characters the name shares (儿科: 湖南省儿童医院)

An alias (湘雅 for 中南大学湘雅医院, 社保 for 社会保障卡申领, an English name, the certificate a
service issues) is a name people really use, so it takes the same tiers two points lower (one
more for an alias that covers its name less directly): the hospital everyone calls 湘雅 comes
first for 湘雅 and for xiangya, above the doctor 向燕 whose name merely starts with that
spelling, yet never above an equal match on an official name.

Spelling compares pinyin with the query's Latin letters; a mixed query (岳麓shan) is spelled
by turning its Chinese into pinyin. Chinese alone is never compared as pinyin: that would
let homophones through. Whitespace and case never matter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mychangsha.storage.search_terms import normalize, pinyin_of

NAME_EXACT = 100
NAME_PREFIX = 90
NAME_CONTAINS = 80
SPELLED_EXACT = 70
SPELLED_PREFIX = 60
SPELLED_WITHIN = 50
ALIAS_OFFSET = 2
OTHER_TEXT = 20
MAX_SHARED = 9

_TOKEN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z0-9]")
_SPACE = re.compile(r"\s+")


def _compact(text: str) -> str:
    return _SPACE.sub("", normalize(text))


@dataclass(frozen=True, slots=True)
class RankedQuery:
    """A query prepared once: its compact text and, with Latin letters, how it spells."""

    text: str
    spellings: frozenset[str]  # empty for a query without Latin letters


def prepare(query: str) -> RankedQuery:
    """The query's compact form and spellings (full pinyin and initials of its Chinese)."""
    text = _compact(query)
    if not _LATIN.search(text):
        return RankedQuery(text, frozenset())
    full: list[str] = []
    initials: list[str] = []
    for token in _TOKEN.findall(text):
        if _CJK.match(token):
            syllables, heads = pinyin_of(token)
            full.append("".join(syllables))
            initials.append("".join(heads))
        else:
            full.append(token)
            initials.append(token)
    return RankedQuery(text, frozenset({"".join(full), "".join(initials)}))


def _spelled_tier(query: RankedQuery, text: str) -> int:
    """How the query spells a text in pinyin: whole, its beginning, a word inside, or not."""
    if not query.spellings:
        return 0
    syllables, heads = pinyin_of(text)
    if not syllables:
        return 0
    whole = {"".join(syllables), "".join(heads)}
    if query.spellings & whole:
        return SPELLED_EXACT
    if any(w.startswith(s) for w in whole for s in query.spellings):
        return SPELLED_PREFIX
    for start in range(1, len(syllables)):
        tails = ("".join(syllables[start:]), "".join(heads[start:]))
        if any(t.startswith(s) for t in tails for s in query.spellings):
            return SPELLED_WITHIN
    return 0


def _name_tier(query: RankedQuery, name: str) -> int:
    text = _compact(name)
    if text == query.text:
        return NAME_EXACT
    if text.startswith(query.text):
        return NAME_PREFIX
    if query.text in text:
        return NAME_CONTAINS
    return _spelled_tier(query, text)


def _shared(query: RankedQuery, name: str) -> int:
    """How many distinct Chinese characters of the query the name has: a weak hint only."""
    return min(len(set(_CJK.findall(query.text)) & set(name)), MAX_SHARED)


def score(query: RankedQuery, name: str, aliases: Mapping[str, int] | None = None) -> int:
    """One hit's relevance on the shared scale from its name and aliases (alias → penalty)."""
    best = _name_tier(query, name)
    for alias, penalty in (aliases or {}).items():
        tier = _name_tier(query, alias)
        if tier:
            best = max(best, tier - ALIAS_OFFSET - penalty)
    return best or OTHER_TEXT + _shared(query, name)
