"""pipeline.numbers.parse_number: numerals as written → (value, value_max, qualifier)."""
from __future__ import annotations

import pytest

from pipeline.numbers import parse_chinese_integer, parse_number


@pytest.mark.parametrize("text, expected", [
    ("895", (895, None, None)),
    ("32.67", (32.67, None, None)),
    ("6万多", (60000, None, "more_than")),
    ("12万多", (120000, None, "more_than")),
    ("1700多", (1700, None, "more_than")),
    ("6500余", (6500, None, "more_than")),
    ("38.8亿", (3880000000, None, None)),
    ("1400亿", (140000000000, None, None)),
    ("16.8万", (168000, None, None)),
    ("72万", (720000, None, None)),
    ("十余", (10, None, "more_than")),
    ("三", (3, None, None)),
    ("十", (10, None, None)),
    ("二十五", (25, None, None)),
    ("一百零五", (105, None, None)),
    ("一千多", (1000, None, "more_than")),
    ("一千多万", (10000000, None, "more_than")),
    ("两", (2, None, None)),
    ("二〇二〇", (2020, None, None)),
    ("3万5千", (35000, None, None)),
    ("１２", (12, None, None)),  # full-width digits
    ("1—2", (1, 2, None)),  # em dash
    ("2-3", (2, 3, None)),  # hyphen
    ("2–3", (2, 3, None)),  # en dash
    ("2至3", (2, 3, None)),
    ("1到2", (1, 2, None)),
    ("1—2万", (10000, 20000, None)),  # the multiplier written once applies to both ends
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("junk", ["", "  ", "abc", "万", "多", "1..2", "十十", "3—1", "12a", "五百万千", "—2"])
def test_parse_number_rejects_junk(junk):
    with pytest.raises(ValueError):
        parse_number(junk)


def test_parse_number_rejects_non_strings():
    with pytest.raises(ValueError):
        parse_number(12)  # type: ignore[arg-type]


@pytest.mark.parametrize("text, value", [("十五", 15), ("二十", 20), ("三百零五", 305), ("一千二百", 1200)])
def test_parse_chinese_integer(text, value):
    assert parse_chinese_integer(text) == value


def test_values_are_ints_when_whole():
    value, _, _ = parse_number("38.8亿")
    assert isinstance(value, int)
