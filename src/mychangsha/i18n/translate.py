"""Rendering a message in a request's language."""

from __future__ import annotations

from mychangsha.i18n.catalogue import ZH_CN
from mychangsha.i18n.locales import Locale
from mychangsha.i18n.text import Text


def translate(message: str, locale: Locale) -> str:
    """`message` in `locale`; text outside the catalogue (an upstream's own words) as given.

    String parameters that are themselves catalogue entries (a reason inside a sentence) are
    translated too, so "Not a valid ID number: {reason}." reads wholly in one language.
    """
    if locale == "en":
        return str(message)
    if isinstance(message, Text):
        template = ZH_CN.get(message.template)
        if template is None:
            return str(message)
        params = {
            name: translate(value, locale) if isinstance(value, str) else value
            for name, value in message.params.items()
        }
        return template.format(**params)
    return ZH_CN.get(message, message)
