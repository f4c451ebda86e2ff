"""Fields whose text is rendered in the request's language (zh-CN unless it asks for en).

Types keep English message ids and enum values; translating here, at the edge, keeps the
resolvers and logs language-neutral and lets one cached result serve every language.
"""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from mychangsha.i18n import translate
from mychangsha.i18n.labels import label
from mychangsha.schema.common import Info


class Localized(FieldExtension):
    """Translates a `str` field holding an English message id (or a `msg()` Text)."""

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> str:
        return translate(next_(source, info, **kwargs), info.context.locale)


def localized_message(**options: Any) -> Any:
    """A message field shown to the citizen, translated when it is read."""
    return strawberry.field(extensions=[Localized()], **options)


def label_of(attribute: str, *, description: str) -> Any:
    """A `String!` field naming the enum in `attribute` in the citizen's language.

    Clients show these instead of mapping enum values themselves, so every app version and
    mini-program says the same thing, in the language the request asked for.
    """

    def resolve(root: Any, info: Info) -> str:
        value: enum.Enum = getattr(root, attribute)
        return label(value, info.context.locale)

    return strawberry.field(resolver=resolve, description=description)
