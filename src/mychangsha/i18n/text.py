"""Messages with parameters that stay translatable after they are formatted."""

from __future__ import annotations

from typing import Self


class Text(str):
    """A message formatted in English that remembers its template and parameters.

    It is a plain `str` everywhere (logs, exceptions, tests compare it as English), while the
    edge can still render the template in another language with the same parameters.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, params: dict[str, object]) -> Self:
        text = super().__new__(cls, template.format(**params))
        text.template = template
        text.params = params
        return text

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:  # type: ignore[override]
        """Rebuild from the template, so copies and pickles stay translatable."""
        return (self.template, self.params)


def msg(template: str, /, **params: object) -> Text:
    """A client-facing message: `template` is both the English text and the catalogue key.

    Use it instead of an f-string so the catalogue can hold one entry per message, e.g.
    `msg("At most {n} visitors per reservation.", n=5)`.
    """
    return Text(template, params)
