"""Chinese resident ID numbers (GB 11643-1999) and mainland mobile numbers.

Validation here is offline and structural: it catches typos (the check digit detects every
single-digit error and every swap of adjacent digits) and impossible values before a
real-name verification upstream is paid to reject them. It cannot prove that a number was
ever issued: that is the upstream's job.

Personal data never appears in messages: exceptions carry a ``reason`` only, and
``IdNumber``'s repr shows the masked number, so logging a parsed value leaks nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "IdNumber",
    "InvalidIdNumber",
    "InvalidPhone",
    "age_on",
    "check_digit",
    "mask_id_number",
    "mask_phone",
    "normalize_phone",
    "parse_id_number",
]

ID_LENGTH = 18
ADULT_AGE = 18
EARLIEST_BIRTH = date(1900, 1, 1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS = re.compile(r"[0-9]+")
# Province-level codes of GB/T 2260, plus 71 (Taiwan) and 81/82/83, which the residence
# permits of Hong Kong, Macao and Taiwan residents use.
_PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82", "83"),
    }
)
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_COUNTRY_PREFIXES = ("+86", "0086", "86")


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-character resident ID number; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid ID number: {reason}")
        self.reason = reason


class InvalidPhone(ValueError):
    """The text is not a mainland mobile number; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid phone number: {reason}")
        self.reason = reason


@dataclass(frozen=True, repr=False)
class IdNumber:
    """A parsed ID number; its repr is masked so it can be logged safely."""

    value: str
    region_code: str
    birth_date: date
    sex: Literal["female", "male"]

    def __repr__(self) -> str:
        """Masked, because dataclass reprs end up in logs and tracebacks."""
        return f"IdNumber({mask_id_number(self.value)!r})"

    def age_on(self, day: date) -> int:
        """Full years of age on a day (周岁)."""
        return age_on(self.birth_date, day)

    def is_minor_on(self, day: date) -> bool:
        """Under 18 on that day: a guardian may then act for this person."""
        return self.age_on(day) < ADULT_AGE


def parse_id_number(raw: str, *, today: date) -> IdNumber:
    """Validate and normalise an ID number as typed by a person; InvalidIdNumber otherwise.

    ``today`` is explicit (a day in Asia/Shanghai, from the caller) so validation never
    depends on the server's time zone and tests need no clock tricks.
    """
    value = _clean(raw).upper()
    _check_shape(value)
    _check_region(value[:6])
    birth = _birth_date(value[6:14], today=today)
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("check digit does not match")
    sex: Literal["female", "male"] = "male" if int(value[16]) % 2 else "female"
    return IdNumber(value=value, region_code=value[:6], birth_date=birth, sex=sex)


def check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    if len(first17) != ID_LENGTH - 1 or not _DIGITS.fullmatch(first17):
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def mask_id_number(value: str) -> str:
    """Show the first 3 and last 4 characters only (430***********1234), as the spec requires."""
    return _mask(_clean(value).upper(), keep_head=3, keep_tail=4)


def normalize_phone(raw: str) -> str:
    """The 11-digit mainland mobile number in a typed phone number, or InvalidPhone.

    Accepts separators and a +86 / 0086 / 86 country code, because people paste numbers in
    every format; rejects landlines, which cannot receive the SMS codes we send.
    """
    digits = _phone_digits(raw)
    if digits.startswith("0"):
        raise InvalidPhone("landline numbers cannot receive SMS; use a mobile number")
    if len(digits) != 11:
        raise InvalidPhone("must be 11 digits")
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone("is not a mainland mobile number")
    return digits


def mask_phone(phone: str) -> str:
    """Show the first 3 and last 4 digits only (138****8000)."""
    return _mask(_clean(phone), keep_head=3, keep_tail=4)


def age_on(birth: date, day: date) -> int:
    """Full years between birth and day; a Feb 29 birthday falls on Mar 1 in other years.

    Comparing (month, day) tuples gives exactly that: in a common year (2, 28) is still
    before (2, 29), and (3, 1) is after it.
    """
    if day < birth:
        raise ValueError("the day is before the birth date")
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - int(before_birthday)


def _clean(raw: str) -> str:
    """NFKC (full-width digits and X from Chinese input methods) and no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", raw).split())


def _phone_digits(raw: str) -> str:
    """Drop separators and a country code; what is left must be ASCII digits."""
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if not text:
        raise InvalidPhone("is empty")
    for prefix in _COUNTRY_PREFIXES:
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not _DIGITS.fullmatch(text):
        raise InvalidPhone("may contain only digits, spaces, hyphens and a +86 prefix")
    return text


def _check_shape(value: str) -> None:
    """Length and character set, with a precise reason for the old 15-digit numbers."""
    if not value:
        raise InvalidIdNumber("is empty")
    if len(value) == 15 and value.isascii() and value.isdigit():
        raise InvalidIdNumber(
            "15-digit numbers (issued before 1999) are not accepted; use the 18-digit number"
        )
    if len(value) != ID_LENGTH:
        raise InvalidIdNumber("must be 18 characters")
    if not _ID_SHAPE.fullmatch(value):
        raise InvalidIdNumber("must be 17 digits followed by a digit or X")


def _check_region(region: str) -> None:
    """First digit 1-8 and a real province code; the county part is not checked offline."""
    if region[0] not in "12345678" or region[:2] not in _PROVINCES:
        raise InvalidIdNumber("region code is not a Chinese province")


def _birth_date(yyyymmdd: str, *, today: date) -> date:
    """A real calendar date between 1900-01-01 and today."""
    try:
        birth = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise InvalidIdNumber("birth date is not a real date") from None
    if birth < EARLIEST_BIRTH:
        raise InvalidIdNumber("birth date is before 1900")
    if birth > today:
        raise InvalidIdNumber("birth date is in the future")
    return birth


def _mask(value: str, *, keep_head: int, keep_tail: int) -> str:
    """Keep head and tail, star the rest; too-short values are starred entirely."""
    if len(value) <= keep_head + keep_tail:
        return "*" * len(value)
    hidden = len(value) - keep_head - keep_tail
    return value[:keep_head] + "*" * hidden + value[-keep_tail:]
