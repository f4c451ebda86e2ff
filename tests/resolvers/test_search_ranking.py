"""The global search's shared scale, on names alone: no storage, no graph."""

from __future__ import annotations

import pytest

from mychangsha.resolvers.search_ranking import (
    NAME_CONTAINS,
    NAME_EXACT,
    NAME_PREFIX,
    OTHER_TEXT,
    SPELLED_EXACT,
    SPELLED_PREFIX,
    SPELLED_WITHIN,
    prepare,
    score,
)


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("岳麓山", "岳麓山", NAME_EXACT),
        (" 岳麓 山 ", "岳麓山", NAME_EXACT),
        ("岳麓", "岳麓山", NAME_PREFIX),
        ("湘雅", "中南大学湘雅二医院", NAME_CONTAINS),
        ("yuelushan", "岳麓山", SPELLED_EXACT),
        ("YLS", "岳麓山", SPELLED_EXACT),
        ("岳麓shan", "岳麓山", SPELLED_EXACT),
        ("yuelu", "岳麓山", SPELLED_PREFIX),
        ("kaiban qiye", "开办企业一件事", SPELLED_PREFIX),
        ("xiangya", "中南大学湘雅二医院", SPELLED_WITHIN),
        ("csbwg", "长沙博物馆", SPELLED_EXACT),
        ("bwg", "长沙博物馆", SPELLED_WITHIN),
    ],
)
def test_name_tiers(query: str, name: str, expected: int) -> None:
    assert score(prepare(query), name) == expected


def test_the_tiers_are_ordered() -> None:
    tiers = [NAME_EXACT, NAME_PREFIX, NAME_CONTAINS, SPELLED_EXACT, SPELLED_PREFIX]
    assert tiers == sorted(tiers, reverse=True)
    assert SPELLED_PREFIX > SPELLED_WITHIN > OTHER_TEXT + 9


def test_an_alias_ranks_just_below_the_same_match_on_a_name() -> None:
    hospital = {"湘雅": 0, "湘雅医院": 0}
    assert score(prepare("湘雅"), "中南大学湘雅医院", hospital) == NAME_EXACT - 2
    assert score(prepare("xiangya"), "中南大学湘雅医院", hospital) == SPELLED_EXACT - 2
    # The doctor 向燕 only starts with that spelling.
    assert score(prepare("xiangya"), "向燕") == SPELLED_PREFIX < SPELLED_EXACT - 2
    # A less direct alias (社保 for 失业保险金申领) one point lower again.
    assert score(prepare("社保"), "失业保险金申领", {"社保": 1}) == NAME_EXACT - 3


def test_chinese_is_never_compared_as_pinyin() -> None:
    # 岳鹿山 sounds like 岳麓山 but is not what the citizen typed.
    assert score(prepare("岳鹿山"), "岳麓山") == OTHER_TEXT + 2


def test_other_text_counts_the_chinese_characters_the_name_shares() -> None:
    assert score(prepare("儿科"), "湖南省儿童医院") == OTHER_TEXT + 1
    assert score(prepare("儿科"), "长沙市第四医院") == OTHER_TEXT
    assert score(prepare("er ke"), "湖南省儿童医院") == OTHER_TEXT
