"""Chinese and pinyin search terms: what a query must share with a document to match it."""

from __future__ import annotations

import pytest

from mychangsha.storage.search_terms import EmptyQuery, index_terms, query_terms, rank


def _matches(query: str, name: str, *others: str) -> bool:
    return set(query_terms(query)) <= set(index_terms(name, others=others).terms)


@pytest.mark.parametrize(
    "query",
    ["岳麓山", "岳麓", "麓山", "山", "yuelushan", "yuelu", "lushan", "yls", "YueLu", "ｙｕｅｌｕ"],
)
def test_chinese_pinyin_and_initials_find_a_name(query: str) -> None:
    assert _matches(query, "岳麓山")


@pytest.mark.parametrize("query", ["橘子洲", "湖南", "yuelushn", "zz", "岳麓书院"])
def test_unrelated_queries_do_not_match(query: str) -> None:
    assert not _matches(query, "岳麓山")


def test_phrase_with_spaces_matches_across_words() -> None:
    assert _matches("kaiban qiye", "开办企业一件事")
    assert _matches("kbqy", "开办企业一件事")


def test_other_texts_match_but_rank_below_the_name() -> None:
    search = index_terms("天心阁", others=["天心区", "古建筑"])
    assert set(query_terms("古建筑")) <= set(search.terms)
    name_hit = rank("天心阁", "天心阁", search.pinyin, search.initials, search.name_terms)
    prefix_hit = rank("tianxin", "天心阁", search.pinyin, search.initials, search.name_terms)
    other_hit = rank("古建筑", "天心阁", search.pinyin, search.initials, search.name_terms)
    assert name_hit > prefix_hit > other_hit


def test_polyphonic_city_name_reads_right() -> None:
    assert index_terms("长沙世界之窗").pinyin.startswith("changsha")


@pytest.mark.parametrize("query", ["", "   ", "！？", "·"])
def test_empty_queries_are_refused(query: str) -> None:
    with pytest.raises(EmptyQuery):
        query_terms(query)
