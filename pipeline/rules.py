"""A JSON rule file → the frozen dataclasses its reader declares, checked, or one error naming file, entry and fault.

The dataclasses are the schema: each field's type says what the file must hold there
(``str``, ``int``, ``float``, ``bool``, ``re.Pattern`` — a regular expression, compiled
here —, ``tuple[X, ...]`` from a list, ``Literal[...]``, ``X | None``, a nested dataclass
from an object); a field with a default may be left out. Keys starting with ``_`` are
documentation; any other key the dataclass does not declare is refused (a misspelt
``max_gpa`` would otherwise be silently ignored). A dataclass's ``__post_init__`` may
raise ``ValueError`` for what types cannot say (a regex without its named group); the
message then names the entry too.
"""
from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Rule:
    """A rule whose logic is code and whose id is data (MQ-PRED, LOC-ADMIN): the id goes on
    the rows it makes."""

    id: str


class RuleError(ValueError):
    """A rule file its loader cannot read: file, entry and what is wrong."""


def load_rule_file(path: Path, shape: type[T]) -> T:
    """The file read as ``shape``.

    >>> import tempfile
    >>> @dataclasses.dataclass(frozen=True)
    ... class Cue:
    ...     id: str
    ...     window: int
    >>> path = Path(tempfile.mkdtemp()) / "cues.json"
    >>> _ = path.write_text('{"id": "MQ-LEFT", "window": "10"}', encoding="utf-8")
    >>> load_rule_file(path, Cue)
    Traceback (most recent call last):
    ...
    pipeline.rules.RuleError: ...cues.json: window: want a whole number, found "10"
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise RuleError(f"{path}: not JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    return _value(shape, raw, _Where(Path(path), ""))


@dataclasses.dataclass(frozen=True)
class _Where:
    """The file and the entry being read: ``headed.heads[3] (STATION)``."""
    path: Path
    entry: str

    def child(self, part: str) -> "_Where":
        return _Where(self.path, f"{self.entry}.{part}" if self.entry and not part.startswith("[") else self.entry + part)

    def error(self, what: str) -> RuleError:
        return RuleError(f"{self.path}: {self.entry or 'the top level'}: {what}")


def _value(kind: Any, raw: Any, where: _Where) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        return _instance(kind, raw, where)
    if origin in (typing.Union, types.UnionType):
        if raw is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(inner, raw, where)
    if origin is tuple:
        if not isinstance(raw, list):
            raise where.error(f"want a list, found {_shown(raw)}")
        return tuple(_value(args[0], item, where.child(f"[{i}]" + _id_of(item))) for i, item in enumerate(raw))
    if origin is Literal:
        if raw not in args:
            raise where.error(f"want one of {', '.join(map(str, args))}, found {_shown(raw)}")
        return raw
    if kind is re.Pattern:
        if not isinstance(raw, str):
            raise where.error(f"want a regular expression (a string), found {_shown(raw)}")
        try:
            return re.compile(raw)
        except re.error as e:
            raise where.error(f"the regular expression does not compile: {e}") from None
    if kind is float and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return raw
    if kind is int and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise where.error(f"want a whole number, found {_shown(raw)}")
    if not isinstance(raw, kind):
        raise where.error(f"want {_NAMES.get(kind, kind.__name__)}, found {_shown(raw)}")
    return raw


_NAMES = {str: "a string", bool: "true or false", float: "a number"}


def _instance(shape: type, raw: Any, where: _Where) -> Any:
    if not isinstance(raw, dict):
        raise where.error(f"want an object, found {_shown(raw)}")
    fields = {f.name: f for f in dataclasses.fields(shape) if f.init and not f.metadata.get("not_in_file")}
    unknown = [k for k in raw if not k.startswith("_") and k not in fields]
    if unknown:
        raise where.error(f"unknown field {unknown[0]!r} (the fields are {', '.join(fields)})")
    hints = typing.get_type_hints(shape)
    values = {}
    for name, f in fields.items():
        if name in raw:
            values[name] = _value(hints[name], raw[name], where.child(name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise where.error(f"missing field {name!r}")
    try:
        return shape(**values)
    except ValueError as e:
        raise where.error(str(e)) from None


def _id_of(item: Any) -> str:
    return f" ({item['id']})" if isinstance(item, dict) and isinstance(item.get("id"), str) else ""


def _shown(raw: Any) -> str:
    text = json.dumps(raw, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
