"""Resident ID numbers (GB 11643-1999), mobile numbers, masking and ages."""

from __future__ import annotations

from datetime import date

import pytest

from mychangsha.auth.idcard import (
    IdNumber,
    InvalidIdNumber,
    InvalidPhone,
    age_on,
    check_digit,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
)

TODAY = date(2025, 6, 15)


def make_id(region: str = "430104", birth: str = "19900307", sequence: str = "123") -> str:
    """A structurally valid ID number: the check digit computed, not hard-coded."""
    first17 = region + birth + sequence
    return first17 + check_digit(first17)


def with_wrong_check(value: str) -> str:
    """The same number with any other check character."""
    return value[:17] + next(c for c in "0123456789X" if c != value[17])


# --- check digit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        # Published examples of the standard (GB 11643-1999 annex) and widely cited samples.
        ("11010519491231002", "X"),
        ("44052418800101001", "4"),
        ("00000000000000000", "1"),
    ],
)
def test_check_digit_known_values(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected


def test_check_digit_covers_every_character() -> None:
    seen = {check_digit(f"4301041990030712{d}") for d in range(10)}
    seen |= {check_digit(f"430104199003071{d}0") for d in range(10)}
    assert seen == set("0123456789X")


@pytest.mark.parametrize("bad", ["", "1234", "1101051949123100X", "110105194912310021", "１" * 17])
def test_check_digit_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="17"):
        check_digit(bad)


# --- parsing -------------------------------------------------------------------------------


def test_parses_a_valid_number() -> None:
    value = make_id("430104", "19900307", "123")
    parsed = parse_id_number(value, today=TODAY)
    assert parsed == IdNumber(
        value=value, region_code="430104", birth_date=date(1990, 3, 7), sex="male"
    )


@pytest.mark.parametrize(
    ("sequence", "sex"), [("121", "male"), ("122", "female"), ("000", "female")]
)
def test_seventeenth_digit_gives_sex(sequence: str, sex: str) -> None:
    assert parse_id_number(make_id(sequence=sequence), today=TODAY).sex == sex


def test_lowercase_x_is_accepted_and_normalised() -> None:
    first17 = "11010519491231002"
    assert check_digit(first17) == "X"
    parsed = parse_id_number(first17 + "x", today=TODAY)
    assert parsed.value == first17 + "X"
    assert parsed.birth_date == date(1949, 12, 31)


@pytest.mark.parametrize(
    "spaced",
    [
        " {v} ",
        "{a} {b} {c}",
        "{a}\u3000{b}\u3000{c}",  # ideographic spaces from a Chinese IME
        "{v}\n",
    ],
)
def test_whitespace_is_stripped(spaced: str) -> None:
    value = make_id()
    text = spaced.format(v=value, a=value[:6], b=value[6:14], c=value[14:])
    assert parse_id_number(text, today=TODAY).value == value


def test_full_width_digits_are_normalised() -> None:
    value = make_id()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in value)
    assert parse_id_number(full_width, today=TODAY).value == value


def test_wrong_check_digit() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(with_wrong_check(make_id()), today=TODAY)
    assert caught.value.reason == "check digit does not match"


@pytest.mark.parametrize("birth", ["19900230", "19900431", "19901301", "19900001", "19000229"])
def test_impossible_birth_dates(birth: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(make_id(birth=birth), today=TODAY)
    assert caught.value.reason == "birth date is not a real date"


def test_feb_29_in_a_leap_year_is_real() -> None:
    assert parse_id_number(make_id(birth="20000229"), today=TODAY).birth_date == date(2000, 2, 29)


def test_future_birth_date() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(make_id(birth="20250616"), today=TODAY)
    assert caught.value.reason == "birth date is in the future"


def test_born_today_is_accepted() -> None:
    parsed = parse_id_number(make_id(birth="20250615"), today=TODAY)
    assert parsed.age_on(TODAY) == 0
    assert parsed.is_minor_on(TODAY)


def test_birth_before_1900() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(make_id(birth="18991231"), today=TODAY)
    assert caught.value.reason == "birth date is before 1900"


def test_fifteen_digit_old_number_has_its_own_reason() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number("430104900307123", today=TODAY)
    assert "15-digit" in caught.value.reason
    assert "18-digit" in caught.value.reason


@pytest.mark.parametrize("raw", ["4301041990030712", "43010419900307123X1", "1"])
def test_wrong_length(raw: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.reason == "must be 18 characters"


@pytest.mark.parametrize("raw", ["", "   "])
def test_empty(raw: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.reason == "is empty"


@pytest.mark.parametrize("raw", ["43010419900307X123", "4301041990030712Y4", "A30104199003071234"])
def test_letters_only_as_check_character(raw: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.reason == "must be 17 digits followed by a digit or X"


@pytest.mark.parametrize("region", ["030104", "930104", "100000", "190101", "240101", "990101"])
def test_implausible_region(region: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(make_id(region=region), today=TODAY)
    assert caught.value.reason == "region code is not a Chinese province"


@pytest.mark.parametrize("region", ["110105", "650102", "810000", "820000", "830000"])
def test_plausible_regions(region: str) -> None:
    assert parse_id_number(make_id(region=region), today=TODAY).region_code == region


def test_errors_never_echo_the_number() -> None:
    value = with_wrong_check(make_id())
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(value, today=TODAY)
    assert value not in str(caught.value)
    assert value[:17] not in repr(caught.value)
    assert isinstance(caught.value, ValueError)


def test_repr_is_masked() -> None:
    value = make_id()
    parsed = parse_id_number(value, today=TODAY)
    assert value not in repr(parsed)
    assert mask_id_number(value) in repr(parsed)


# --- masking -------------------------------------------------------------------------------


def test_mask_id_number() -> None:
    assert mask_id_number("430104199003071234") == "430***********1234"
    assert mask_id_number("11010519491231002x") == "110***********002X"
    assert len(mask_id_number(make_id())) == 18


def test_mask_short_values_hides_everything() -> None:
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number("") == ""


def test_mask_phone() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("123") == "***"


# --- phones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "+8613800138000",
        "86-13800138000",
        "0086 138 0013 8000",
        "138-0013-8000",
        " 138 0013 8000 ",
        "(+86) 138.0013.8000",
        "１３８００１３８０００",  # full-width digits
    ],
)
def test_normalize_phone(raw: str) -> None:
    assert normalize_phone(raw) == "13800138000"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_prefix(prefix: str) -> None:
    number = prefix + "012345678"
    assert normalize_phone(number) == number


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0731-88888888", "landline numbers cannot receive SMS; use a mobile number"),
        ("+86 731 8888 8888", "is not a mainland mobile number"),
        ("+86 0731 8888 888", "landline numbers cannot receive SMS; use a mobile number"),
        ("88888888", "must be 11 digits"),
        ("1380013800", "must be 11 digits"),
        ("138001380001", "must be 11 digits"),
        ("12800138000", "is not a mainland mobile number"),
        ("23800138000", "is not a mainland mobile number"),
        ("", "is empty"),
        (" - ", "is empty"),
        ("138oo138000", "may contain only digits, spaces, hyphens and a +86 prefix"),
        ("+1 415 555 2671", "may contain only digits, spaces, hyphens and a +86 prefix"),
    ],
)
def test_rejected_phones(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


# --- ages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2007, 6, 15), date(2025, 6, 14), 17),  # the day before the 18th birthday
        (date(2007, 6, 15), date(2025, 6, 15), 18),  # on it
        (date(2007, 6, 15), date(2025, 6, 16), 18),
        (date(2007, 12, 31), date(2025, 1, 1), 17),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
        # Feb 29: the birthday falls on Mar 1 in common years.
        (date(2004, 2, 29), date(2022, 2, 28), 17),
        (date(2004, 2, 29), date(2022, 3, 1), 18),
        (date(2004, 2, 29), date(2024, 2, 28), 19),
        (date(2004, 2, 29), date(2024, 2, 29), 20),
        (date(2004, 2, 29), date(2005, 2, 28), 0),
        (date(2004, 2, 29), date(2005, 3, 1), 1),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


def test_minor_until_the_eighteenth_birthday() -> None:
    parsed = parse_id_number(make_id(birth="20040229"), today=TODAY)
    assert parsed.is_minor_on(date(2022, 2, 28))
    assert not parsed.is_minor_on(date(2022, 3, 1))
    assert parsed.age_on(date(2022, 3, 1)) == 18
