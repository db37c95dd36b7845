"""Numerals as written in Chinese news text → numbers.

``parse_number`` reads the number part of a figure (no unit): Arabic digits, Chinese
numerals or both, with 万/亿 multipliers, the 多/余 "more than" markers and ranges:

>>> parse_number("6万多")
(60000, None, 'more_than')
>>> parse_number("1—2")
(1, 2, None)

Values come back as ``int`` when whole, else ``float`` (``38.8亿`` → 3880000000,
``32.67`` → 32.67).
"""
from __future__ import annotations

import re

ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
ZH_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
MORE_MARKERS = "多余"  # 6万多, 十余: "a little more than"
# Range separators: em dash (1—2), en dash, hyphen, tilde, 至 and 到 (1至2名, 2到3个).
RANGE_SEPARATORS = "—–~～至到-"  # hyphen last: literal inside [...]
FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")

_RANGE = re.compile(rf"^(.+?)(?:——|[{RANGE_SEPARATORS}])(.+)$")
_ARABIC = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_MIXED = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([十百千])$")
_ZH_CHARS = set(ZH_DIGITS) | set(ZH_SMALL_UNITS)


def _whole(x: float) -> int | float:
    """3880000000.0 → 3880000000, 32.67 → 32.67 (float noise from 38.8 × 1e8 rounded away)."""
    r = round(x, 6)
    return int(r) if r == int(r) else r


def parse_chinese_integer(text: str) -> int:
    """A Chinese numeral below 一万: 十 → 10, 二十五 → 25, 一千二百 → 1200, 二〇二〇 → 2020.

    >>> parse_chinese_integer("三百零五")
    305
    """
    if not text or any(ch not in _ZH_CHARS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if text[0] in "百千":
        raise ValueError(f"{text[0]} with no digit before it in {text!r}")  # only 十 may stand alone
    if not any(ch in ZH_SMALL_UNITS for ch in text):
        # digit by digit, as years are written: 二〇二〇
        value = 0
        for ch in text:
            value = value * 10 + ZH_DIGITS[ch]
        return value
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in ZH_DIGITS:
            if digit is not None and ZH_DIGITS[ch] != 0:
                raise ValueError(f"two digits in a row in {text!r}")
            digit = ZH_DIGITS[ch] if ZH_DIGITS[ch] != 0 else None
        else:
            unit = ZH_SMALL_UNITS[ch]
            if unit >= last_unit:
                raise ValueError(f"units out of order in {text!r}")
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


def _section_value(s: str) -> float:
    """One section between multipliers: 32.67, 5千, 一千二百."""
    if _ARABIC.match(s):
        return float(s)
    mixed = _MIXED.match(s)  # 5千, 1.5千
    if mixed:
        return float(mixed.group(1)) * ZH_SMALL_UNITS[mixed.group(2)]
    return float(parse_chinese_integer(s))


def _parse_plain(text: str) -> tuple[float, bool]:
    """One number with 万/亿 and 多/余, no range: (value, more_than).

    ``6万多`` → (60000, True); ``一千多`` → (1000, True); ``3万5千`` → (35000, False).
    """
    more = False
    total = 0.0
    section = ""
    for ch in text:
        if ch in MORE_MARKERS:
            if not (section or total):
                raise ValueError(f"{ch} before any digit in {text!r}")
            more = True
        elif ch in BIG_UNITS:
            if not section:
                raise ValueError(f"{ch} with no number before it in {text!r}")
            value = _section_value(section)
            # 亿 multiplies everything before it (3万亿); 万 only its own section (3亿5000万)
            total = (total + value) * BIG_UNITS[ch] if ch == "亿" else total + value * BIG_UNITS[ch]
            section = ""
        elif ch in "0123456789." or ch in _ZH_CHARS:
            section += ch
        else:
            raise ValueError(f"unexpected {ch!r} in number {text!r}")
    if section:
        total += _section_value(section)
    elif total == 0:
        raise ValueError(f"no number in {text!r}")
    return total, more


def parse_number(text: str) -> tuple[int | float, int | float | None, str | None]:
    """Number as written → (value, value_max, qualifier).

    qualifier is ``more_than`` for 多/余 (6万多, 十余), else None; value_max is the
    upper end of a range (1—2, 2-3, 1至2), else None. Junk raises ValueError.

    >>> parse_number("38.8亿")
    (3880000000, None, None)
    >>> parse_number("十余")
    (10, None, 'more_than')
    """
    if not isinstance(text, str):
        raise ValueError(f"not a string: {text!r}")
    s = text.strip().translate(FULLWIDTH)
    if not s:
        raise ValueError("empty number")
    match = _RANGE.match(s)
    if match and match.group(1) and match.group(2):
        low, more_low = _parse_plain(match.group(1))
        high, more_high = _parse_plain(match.group(2))
        if high < low:
            raise ValueError(f"range runs backwards in {text!r}")
        # 1—2万: the multiplier written once applies to both ends
        if high >= 10_000 and low < 10_000 and not any(ch in BIG_UNITS for ch in match.group(1)):
            for ch, mult in BIG_UNITS.items():
                if match.group(2).endswith(ch):
                    low *= mult
        return _whole(low), _whole(high), "more_than" if (more_low or more_high) else None
    value, more = _parse_plain(s)
    return _whole(value), None, "more_than" if more else None
