"""A name's kind (formula, numbered, institution, platform, brand), from the first kind rule its shape matches.

The same rules answer two questions the other steps ask: does a name end in a practice
head (工作法, 驿站, 委员会), and does it make a count (三张清单, 四步法)?
"""
from __future__ import annotations

from .mechanism_rules import KindRule


def kind_of(name: str, kinds: tuple[KindRule, ...], right: str = "") -> tuple[str, str]:
    """(kind, rule id); ``right`` is the text after a quoted name.

    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> kinds = load_rules(DATA_DIR).kinds
    >>> [kind_of(n, kinds)[0] for n in ("1+3+N", "四步法", "兼职委员制", "洪城红")]
    ['formula', 'numbered', 'institution', 'brand']
    >>> kind_of("阳光", kinds, right="志愿服务活动")
    ('platform', 'MK-PLATFORM-CONTEXT')
    """
    for k in kinds:
        if k.right is not None:
            if right and k.right.match(right):
                return k.kind, k.id
            continue
        if k.unless is not None and k.unless.pattern and k.unless.search(name):
            continue
        if k.regex.search(name):
            return k.kind, k.id
    return "brand", "MK-DEFAULT"


def has_head(name: str, kinds: tuple[KindRule, ...]) -> bool:
    """Does the name end in a platform or institution head: 红棉驿站, 兼职委员制?"""
    return any(k.regex.search(name) for k in kinds
               if k.id in ("MK-PLATFORM-HEAD", "MK-INSTITUTION-HEAD") and k.regex is not None and k.regex.pattern)


def numbered(name: str, kinds: tuple[KindRule, ...]) -> bool:
    """Does the name make a count: 三张清单, 四步法, 七个一?"""
    return any(k.regex.search(name) for k in kinds if k.id == "MK-NUMBERED" and k.regex is not None)
