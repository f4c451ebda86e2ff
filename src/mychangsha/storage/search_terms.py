"""Portable Chinese + pinyin search: terms stored per document, ranked in the application.

Neither SecantusDB nor MongoDB's text index segments Chinese, so every searchable document
carries a `terms` array (CJK uni/bi-grams, full pinyin and initials prefixes from each
syllable, English word prefixes) under an ordinary index; a query becomes terms that must
all be present, and candidates are ranked here. The same code runs on both servers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

MAX_PREFIX = 24
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


class EmptyQuery(ValueError):
    """The query has no searchable character (only spaces or punctuation)."""


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, trimmed: what users type on phones varies."""
    return unicodedata.normalize("NFKC", text).lower().strip()


def _ngrams(run: str, sizes: Iterable[int]) -> set[str]:
    return {run[i : i + n] for n in sizes for i in range(len(run) - n + 1)}


def _syllable_prefixes(syllables: list[str]) -> set[str]:
    """Prefixes of the joined syllables starting at every syllable boundary."""
    out: set[str] = set()
    for start in range(len(syllables)):
        joined = "".join(syllables[start:])[:MAX_PREFIX]
        out.update(joined[:end] for end in range(1, len(joined) + 1))
    return out


def pinyin_of(text: str) -> tuple[list[str], list[str]]:
    """Full pinyin syllables and their initials for the Chinese runs of a text."""
    syllables: list[str] = []
    for run in _CJK_RUN.findall(text):
        syllables.extend(lazy_pinyin(run, style=Style.NORMAL, errors="ignore"))
    return syllables, [s[0] for s in syllables if s]


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a searchable document stores: all terms, its name's terms and name pinyin."""

    terms: list[str]
    name_terms: list[str]
    pinyin: str
    initials: str


def _terms_of(text: str) -> set[str]:
    text = normalize(text)
    terms: set[str] = set()
    for run in _CJK_RUN.findall(text):
        terms |= _ngrams(run, (1, 2))
    syllables, initials = pinyin_of(text)
    terms |= _syllable_prefixes(syllables)
    terms |= _syllable_prefixes(initials)
    words = _ASCII_WORD.findall(text)
    for word in words:
        terms.update(word[:end] for end in range(1, min(len(word), MAX_PREFIX) + 1))
    if words:
        terms |= _syllable_prefixes(words)
    return terms


def index_terms(name: str, aliases: Iterable[str] = (), others: Iterable[str] = ()) -> SearchTerms:
    """Terms for a document: its name and aliases (ranked as name hits) and other texts."""
    name_terms = _terms_of(name)
    for alias in aliases:
        name_terms |= _terms_of(alias)
    all_terms = set(name_terms)
    for other in others:
        all_terms |= _terms_of(other)
    syllables, initials = pinyin_of(normalize(name))
    return SearchTerms(
        terms=sorted(all_terms),
        name_terms=sorted(name_terms),
        pinyin="".join(syllables),
        initials="".join(initials),
    )


def query_terms(query: str) -> list[str]:
    """Terms that a matching document must all carry; raises EmptyQuery when there are none."""
    text = normalize(query)
    terms: set[str] = set()
    for run in _CJK_RUN.findall(text):
        terms |= _ngrams(run, (2,)) if len(run) > 1 else {run}
    latin = "".join(_ASCII_WORD.findall(_CJK_RUN.sub(" ", text)))
    if latin:
        terms.add(latin[:MAX_PREFIX])
    if not terms:
        raise EmptyQuery(query)
    return sorted(terms)


def rank(query: str, name: str, pinyin: str, initials: str, name_terms: Iterable[str]) -> int:
    """Relevance of a candidate whose terms matched: name matches outrank other fields."""
    text = normalize(query)
    compact = re.sub(r"\s+", "", text)
    name_n = normalize(name)
    if name_n == text:
        return 100
    if name_n.startswith(text) or pinyin.startswith(compact) or initials.startswith(compact):
        return 80
    if text in name_n:
        return 60
    if set(query_terms(query)) <= set(name_terms):
        return 50
    return 20
