"""Every message the code can show a client has Simplified Chinese, and renders in both."""

from __future__ import annotations

import copy
import pickle
import re
import string

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type

from mychangsha.i18n import msg, translate
from mychangsha.i18n.catalogue import ZH_CN
from mychangsha.i18n.labels import LABELS, label
from mychangsha.schema import build_schema
from tests.i18n.message_sources import client_messages

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_messages_are_templates_not_f_strings() -> None:
    f_strings = [found.where for found in client_messages() if found.text is None]
    assert not f_strings, f"use msg('… {{name}} …', name=value) instead of an f-string: {f_strings}"


def test_every_message_in_the_source_has_chinese() -> None:
    missing = sorted(
        f"{found.where}: {found.text!r}"
        for found in client_messages()
        if found.text and found.text not in ZH_CN
    )
    assert not missing, "add these to mychangsha/i18n/catalogue.py:\n" + "\n".join(missing)


def test_the_scan_finds_messages_of_every_kind() -> None:
    """Guards the scanner itself: a typed error, a coded error, a reason and a template."""
    texts = {found.text for found in client_messages()}
    assert {
        "No place left in this session.",
        "Sign in to see this.",
        "check digit does not match",
        "At most {n} visitors per reservation.",
    } <= texts


@pytest.mark.parametrize(("english", "chinese"), sorted(ZH_CN.items()))
def test_each_entry_is_chinese_with_the_same_placeholders(english: str, chinese: str) -> None:
    assert CHINESE.search(chinese), chinese
    assert _placeholders(chinese) == _placeholders(english)


def test_translation_of_plain_templated_and_nested_messages() -> None:
    assert translate("Verify your real name first.", "zh-CN") == "请先完成实名认证。"
    assert translate("Verify your real name first.", "en") == "Verify your real name first."
    limited = msg("At most {n} visitors per reservation.", n=5)
    assert limited == "At most 5 visitors per reservation."
    assert translate(limited, "zh-CN") == "每笔预约最多 5 位游客。"
    radius = msg("radiusKm must be in (0, {max:g}]", max=50.0)
    assert translate(radius, "zh-CN") == "radiusKm 须大于 0 且不超过 50"
    nested = msg("Not a valid ID number: {reason}.", reason="check digit does not match")
    assert translate(nested, "en") == "Not a valid ID number: check digit does not match."
    assert translate(nested, "zh-CN") == "身份证号无效：校验位不正确。"


def test_text_outside_the_catalogue_passes_through() -> None:
    """An upstream's own words (the platform explains a refused field) are shown as given."""
    assert translate("材料不清晰", "zh-CN") == "材料不清晰"
    assert translate(msg("Upstream said {x}", x=1), "zh-CN") == "Upstream said 1"


def _labelled_enums() -> dict[str, GraphQLEnumType]:
    """Every enum that some type shows next to a `…Label` field, by name."""
    schema = build_schema()._schema
    found: dict[str, GraphQLEnumType] = {}
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name in graphql_type.fields:
            if name.endswith("Label") and name.removesuffix("Label") in graphql_type.fields:
                enum = get_named_type(graphql_type.fields[name.removesuffix("Label")].type)
                assert isinstance(enum, GraphQLEnumType), (graphql_type.name, name)
                found[enum.name] = enum
    return found


def test_every_labelled_enum_has_a_label_for_each_value() -> None:
    labelled = _labelled_enums()
    assert {"AppointmentStatus", "ApplicationStatus", "TicketStatus", "BillStatus"} <= set(labelled)
    assert {"CrowdLevel", "FamilyRelation", "ReportCategory"} <= set(labelled)
    for name, enum in labelled.items():
        assert set(LABELS.get(name, {})) == set(enum.values), name
    for members in LABELS.values():
        for english, chinese in members.values():
            assert english and CHINESE.search(chinese), (english, chinese)


def test_label_of_a_value() -> None:
    from mychangsha.schema.hospital import AppointmentStatus

    assert label(AppointmentStatus.BOOKED, "zh-CN") == "已预约"
    assert label(AppointmentStatus.BOOKED, "en") == "Booked"


def test_a_message_survives_copy_and_pickle() -> None:
    original = msg("At most {n} visitors per reservation.", n=5)
    for clone in (copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        assert clone == original
        assert translate(clone, "zh-CN") == "每笔预约最多 5 位游客。"
