"""Client-facing text in zh-CN (the default) and English.

Code writes English: a message's English template is its id, so logs and tests stay readable.
`catalogue` maps each id to Simplified Chinese; `locales` picks the language of a request;
`translate` renders a message in it at the edge (the schema), never earlier.
"""

from __future__ import annotations

from mychangsha.i18n.locales import DEFAULT_LOCALE, Locale, negotiate
from mychangsha.i18n.text import Text, msg
from mychangsha.i18n.translate import translate

__all__ = ["DEFAULT_LOCALE", "Locale", "Text", "msg", "negotiate", "translate"]
