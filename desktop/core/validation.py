"""Field sanitising: no control characters, no absurd lengths (Qt-free).

One set of rules for every write path:

* :func:`clean_text` — for the editor and the importer: tidies a value (trims the
  ends, turns CR/LF into LF, and for single-line fields turns line breaks and tabs
  into one space) and then rejects what cannot be stored, raising
  :class:`FieldValueError` with a Chinese message that names the field and shows the
  offending character by its code point.
* :func:`check_text` — the rejection rules alone, without tidying.
* :func:`clean_record` — :func:`clean_text` over the string columns of a model, using
  each column's own length (``String(50)`` → 50 characters; ``Text`` → :data:`TEXT_MAX`).
* A ``before_flush`` guard (installed when :mod:`desktop.core` is imported) runs
  :func:`check_text` on every new or changed string value of the domain tables, so
  nothing malformed reaches the database even if a caller forgot to clean it. It only
  rejects; callers that want tidying call :func:`clean_text` first.

Rejected: C0/C1 control characters (TAB/LF/CR allowed only in multi-line fields),
Unicode bidirectional overrides (text that displays differently from what it is),
lone surrogates (broken decoding), non-characters, and U+FFFD (the replacement
character a wrong file encoding leaves behind). Private-use characters are *allowed*:
rare characters in people's names were long typed with private-use code points.

Importers add the file, sheet, row and column to the message (``exc.reason`` is the
part without the field label).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, event, inspect
from sqlalchemy.orm import Session

#: Longest accepted multi-line (``Text``) value, in characters (about five printed A4 pages).
TEXT_MAX = 10_000
#: Longest accepted value of a string column that declares no length.
STRING_MAX = 200

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI_SET = frozenset(_BIDI)
# One regex finds the first offending character quickly; the reason is worked out after.
_BAD_SINGLE = re.compile(
    "[\x00-\x1f\x7f-\x9f" + _BIDI + "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\ufffd]"
)
_BAD_MULTI = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI + "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\ufffd]"
)
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\x0b\x0c\x85]+")

_CONTROL_NAMES = {
    "\x00": "空字符 NUL",
    "\t": "制表符 TAB",
    "\n": "换行符",
    "\r": "回车符",
    "\x1b": "转义符 ESC",
    "\x7f": "删除符 DEL",
}


class FieldValueError(ValueError):
    """A value that cannot be stored. ``str(exc)`` is a full Chinese message;
    ``reason`` is the part after the field label; ``label`` the field's Chinese name."""

    def __init__(self, label: str, reason: str, value: str | None = None) -> None:
        self.label = label
        self.reason = reason
        self.value = value
        super().__init__(f"“{label}”{reason}" if label else reason)


def _describe(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    if ch in _CONTROL_NAMES:
        return f"{_CONTROL_NAMES[ch]}（{code}）"
    if ch == "\ufffd":
        return f"乱码替换字符“\ufffd”（{code}），可能是文件编码不对（例如 GBK 文件按 UTF-8 读取）"
    if ch in _BIDI_SET:
        return f"文字方向控制符（{code}），会使显示的内容与实际内容不同"
    if "\ud800" <= ch <= "\udfff":
        return f"不成对的代理字符（{code}），文本编码已损坏"
    if unicodedata.category(ch) == "Cc":
        return f"控制字符（{code}）"
    return f"非字符码位（{code}）"


def _preview(value: str, limit: int = 20) -> str:
    shown = "".join(ch if ch.isprintable() else "·" for ch in value[:limit])
    return shown + ("…" if len(value) > limit else "")


def check_text(value: str | None, *, label: str = "", max_length: int | None = None,
               multiline: bool = False) -> None:
    """Raise :class:`FieldValueError` if ``value`` contains a forbidden character or is
    longer than ``max_length`` characters. ``None`` and ``""`` pass."""
    if not value:
        return
    if not isinstance(value, str):
        raise FieldValueError(label, f"应为文本，实为 {type(value).__name__}")
    bad = (_BAD_MULTI if multiline else _BAD_SINGLE).search(value)
    if bad is not None:
        pos = bad.start()
        raise FieldValueError(
            label,
            f"的第 {pos + 1} 个字符是不允许的{_describe(bad.group())}：“{_preview(value)}”",
            value,
        )
    limit = max_length if max_length is not None else (TEXT_MAX if multiline else STRING_MAX)
    if len(value) > limit:
        raise FieldValueError(
            label, f"过长：{len(value)} 个字符，最多允许 {limit} 个：“{_preview(value)}”", value
        )


def normalise_text(value: Any, *, multiline: bool = False) -> str | None:
    """Tidy without rejecting: ``None``/blank → ``None``; trims the ends (also U+3000);
    CRLF/CR → LF; in single-line fields line breaks and tabs become one space."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    else:
        text = _LINE_BREAKS.sub(" ", text)
    text = text.strip()
    return text or None


def clean_text(value: Any, *, label: str = "", max_length: int | None = None,
               multiline: bool = False) -> str | None:
    """:func:`normalise_text` then :func:`check_text`; returns the value to store."""
    text = normalise_text(value, multiline=multiline)
    check_text(text, label=label, max_length=max_length, multiline=multiline)
    return text


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class TextRule:
    label: str
    max_length: int
    multiline: bool


def column_rule(column: Any) -> TextRule | None:
    """The rule for a SQLAlchemy column, or None if it is not a string column."""
    if not isinstance(column.type, String):
        return None
    label = column.info.get("label", column.key)
    if isinstance(column.type, Text):
        return TextRule(label, TEXT_MAX, True)
    return TextRule(label, column.type.length or STRING_MAX, False)


def rules_for(model: type) -> dict[str, TextRule]:
    """Attribute name → rule for every string column of a mapped class."""
    mapper = inspect(model)
    rules = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if column.info.get("internal"):
            continue
        rule = column_rule(column)
        if rule is not None:
            rules[attr.key] = rule
    return rules


class RecordErrors(ValueError):
    """Several field errors of one record (``errors`` in column order)."""

    def __init__(self, errors: Iterable[FieldValueError]) -> None:
        self.errors = tuple(errors)
        super().__init__("；".join(str(e) for e in self.errors))


def clean_record(model: type, values: Mapping[str, Any], *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Return ``values`` with every string field of ``model`` cleaned.

    Non-string fields pass through unchanged. Raises :class:`RecordErrors` listing
    every bad field (not only the first), so an importer can report a whole row.
    """
    rules = rules_for(model)
    wanted = set(fields) if fields is not None else None
    out = dict(values)
    errors = []
    for key, value in values.items():
        rule = rules.get(key)
        if rule is None or (wanted is not None and key not in wanted) or not isinstance(value, str | None):
            continue
        try:
            out[key] = clean_text(value, label=rule.label, max_length=rule.max_length, multiline=rule.multiline)
        except FieldValueError as exc:
            errors.append(exc)
    if errors:
        raise RecordErrors(errors)
    return out


# --------------------------------------------------------------------------- guard


def _guarded_classes() -> tuple[type, ...]:
    from db.audit import AUDITED
    from db.models import County, Operator, Township

    return (*AUDITED, County, Township, Operator)


_RULES_CACHE: dict[type, dict[str, TextRule]] = {}


def _rules(cls: type) -> dict[str, TextRule]:
    rules = _RULES_CACHE.get(cls)
    if rules is None:
        rules = _RULES_CACHE[cls] = rules_for(cls)
    return rules


def check_object(obj: Any, *, only_changed: bool = False) -> None:
    """Raise :class:`FieldValueError` for the first bad string value of an ORM object."""
    state = inspect(obj)
    for key, rule in _rules(type(obj)).items():
        if only_changed and not state.attrs[key].history.added:
            continue
        value = state.dict.get(key)
        if value is None:
            continue
        try:
            check_text(value, label=rule.label, max_length=rule.max_length, multiline=rule.multiline)
        except FieldValueError as exc:
            table = getattr(type(obj), "__tablename__", type(obj).__name__)
            exc.args = (f"{exc}（表 {table}）",)
            raise


def _guard_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("validation_disabled"):
        return
    guarded = _guarded_classes()
    for obj in session.new:
        if isinstance(obj, guarded):
            check_object(obj)
    for obj in session.dirty:
        if isinstance(obj, guarded):
            check_object(obj, only_changed=True)


def install_guard() -> None:
    """Install the flush guard on all sessions (idempotent)."""
    if not event.contains(Session, "before_flush", _guard_before_flush):
        event.listen(Session, "before_flush", _guard_before_flush)
