"""Field editors for keyboard-only entry, shared by the card editor, the member grid and the rosters.

Every editor has ``value()``, ``set_value(v)`` and a ``changed`` signal carrying the
new Python value (``str``/``int``/``Decimal``/``date``/``bool``/``None``).

* :class:`ChoiceCombo` — a fixed list (code lists, villages, yes/no). Typing picks an
  item without opening the list: its code (``01`` → 因病), its pinyin initials or full
  pinyin (``yb`` → 因病), or the label itself (an input-method commit). Delete or
  Backspace clears it. F4 / Alt+↓ / Space opens the list.
* :class:`DateEdit` — ``YYYY-MM-DD``; also accepts ``20170301``, ``2017.3.1``, ``2017/3/1``.
* :class:`IntEdit`, :class:`MoneyEdit`, :class:`TextEdit`, :class:`MemoEdit`.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QIntValidator, QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from desktop.core import codelists
from desktop.core.pinyin import search_key

ERROR_STYLE = "background-color: #fde2e2;"
WARNING_STYLE = "background-color: #fff4d6;"
BLANK = ""
TYPE_AHEAD_SECONDS = 1.2


@dataclass(frozen=True)
class Choice:
    value: Any
    text: str
    keys: tuple[str, ...] = ()  # lower-case prefixes typing may match (code, pinyin, initials)


def choices_for(codelist: str, *, only: list[str] | None = None) -> list[Choice]:
    """Choices of a code list with their codes and pinyin as type-ahead keys."""
    out = []
    for item in codelists.get(codelist).items:
        if only is not None and item.label not in only:
            continue
        keys = [item.label.lower()]
        if item.code:
            keys.append(item.code.lower())
        keys.extend(search_key(item.label, surname=False).split())
        out.append(Choice(item.label, item.label, tuple(dict.fromkeys(keys))))
    return out


def yes_no_choices() -> list[Choice]:
    return [Choice(True, "是", ("是", "1", "y", "s", "shi")), Choice(False, "否", ("否", "0", "n", "f", "fou"))]


@functools.lru_cache(maxsize=8192)
def keys_for(text: str, *extra: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([text.lower(), *[e.lower() for e in extra if e],
                                *search_key(text, surname=False).split()]))


class ChoiceCombo(QComboBox):
    """A non-editable combo with type-ahead by code, pinyin and label; always a valid value."""

    changed = Signal(object)

    def __init__(self, choices: list[Choice] | None = None, parent: QWidget | None = None, *,
                 allow_blank: bool = True) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, True)
        self._allow_blank = allow_blank
        self._choices: list[Choice] = []
        self._typed = ""
        self._typed_at = 0.0
        self._loading = False
        self.set_choices(choices or [])
        self.currentIndexChanged.connect(self._emit)
        self.setMaxVisibleItems(20)

    # ----- values --------------------------------------------------------
    def set_choices(self, choices: list[Choice]) -> None:
        current = self.value() if self._choices or self.count() else None
        self._loading = True
        self.clear()
        self._choices = ([Choice(None, BLANK)] if self._allow_blank else []) + list(choices)
        for c in self._choices:
            self.addItem(c.text)
        self._loading = False
        self.set_value(current)

    def choices(self) -> list[Choice]:
        return list(self._choices)

    def value(self) -> Any:
        i = self.currentIndex()
        return self._choices[i].value if 0 <= i < len(self._choices) else None

    def set_value(self, value: Any) -> None:
        index = next((i for i, c in enumerate(self._choices) if c.value == value and (
            c.value is not None or value is None)), -1)
        if index < 0 and value not in (None, ""):
            # A stored value outside the list (an old label): keep it visible rather than lose it.
            self._choices.append(Choice(value, f"{value}"))
            self.addItem(f"{value}")
            index = len(self._choices) - 1
        if index < 0:
            index = 0 if self._choices else -1
        was = self.blockSignals(True)
        self.setCurrentIndex(index)
        self.blockSignals(was)

    def _emit(self, _index: int) -> None:
        if not self._loading:
            self.changed.emit(self.value())

    # ----- keyboard -------------------------------------------------------
    def match(self, typed: str) -> int:
        """Index of the first choice whose keys start with ``typed`` (exact keys first)."""
        typed = typed.lower()
        if not typed:
            return -1
        for exact in (True, False):
            for i, c in enumerate(self._choices):
                if c.value is None:
                    continue
                for key in c.keys or (c.text.lower(),):
                    if (key == typed) if exact else key.startswith(typed):
                        return i
        return -1

    def type_ahead(self, text: str) -> bool:
        now = time.monotonic()
        if now - self._typed_at > TYPE_AHEAD_SECONDS:
            self._typed = ""
        self._typed_at = now
        candidate = self._typed + text
        index = self.match(candidate)
        if index < 0 and self._typed:
            candidate, index = text, self.match(text)
        self._typed = candidate if index >= 0 else ""
        if index >= 0:
            self.setCurrentIndex(index)
            return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        text = event.text()
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._allow_blank and not mods:
            self.setCurrentIndex(0)
            self._typed = ""
            return
        if text and text.isprintable() and not text.isspace() and mods in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            if not self.type_ahead(text):
                QWidget.keyPressEvent(self, event)  # beep-free ignore; let parents see it
            return
        super().keyPressEvent(event)

    def inputMethodEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        text = event.commitString()
        if text:
            self._typed = ""
            self.type_ahead(text)
        event.accept()


class YesNoCombo(ChoiceCombo):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(yes_no_choices(), parent)


class CodeCombo(ChoiceCombo):
    def __init__(self, codelist: str, parent: QWidget | None = None, *, only: list[str] | None = None) -> None:
        super().__init__(choices_for(codelist, only=only), parent)
        self.codelist = codelist


# --------------------------------------------------------------------------- line editors


class _LineBase(QLineEdit):
    """A line edit that emits ``changed(value)`` and shows its own parse error."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error: str | None = None
        self._external_style = ""
        self.textChanged.connect(self._on_text)
        self.editingFinished.connect(self._tidy)

    def parse(self, text: str) -> Any:
        return text.strip() or None

    def show(self, value: Any) -> str:  # noqa: A003 - the text for a value
        return "" if value is None else str(value)

    def value(self) -> Any:
        try:
            return self.parse(self.text())
        except ValueError:
            return None

    def set_value(self, value: Any) -> None:
        was = self.blockSignals(True)
        self.setText(self.show(value))
        self.blockSignals(was)
        self._check()

    def _check(self) -> None:
        try:
            self.parse(self.text())
            self.error = None
        except ValueError as exc:
            self.error = str(exc)
        self._restyle()

    def _restyle(self) -> None:
        style = ERROR_STYLE if self.error else self._external_style
        self.setStyleSheet(f"QLineEdit {{{style}}}" if style else "")
        self.setToolTip(self.error or self.property("issue") or "")

    def set_issue(self, message: str | None, severity_style: str = ERROR_STYLE) -> None:
        self._external_style = severity_style if message else ""
        self.setProperty("issue", message or "")
        self._restyle()

    def _on_text(self, _text: str) -> None:
        self._check()
        if not self.error:
            self.changed.emit(self.value())

    def _tidy(self) -> None:
        """Show a parsed value in its canonical form (2017.3.1 → 2017-03-01); bad text stays."""
        try:
            value = self.parse(self.text())
        except ValueError:
            self._check()
            return
        shown = self.show(value)
        if shown != self.text():
            was = self.blockSignals(True)
            self.setText(shown)
            self.blockSignals(was)


class TextEdit(_LineBase):
    def __init__(self, parent: QWidget | None = None, *, max_length: int | None = None) -> None:
        super().__init__(parent)
        if max_length:
            self.setMaxLength(max_length)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})[./年](\d{1,2})[./月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(text: str) -> date | None:
    """Parse a typed date; '' → None; raises ValueError with a Chinese message."""
    t = (text or "").strip()
    if not t:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.match(t)
        if m:
            y, mo, d = (int(x) for x in m.groups())
            try:
                value = date(y, mo, d)
            except ValueError:
                raise ValueError(f"“{t}”不是有效日期") from None
            if not 1880 <= y <= 2100:
                raise ValueError(f"“{t}”的年份不合理")
            return value
    raise ValueError(f"日期“{t}”格式应为 YYYY-MM-DD")


class DateEdit(_LineBase):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("YYYY-MM-DD")
        self.setMaxLength(11)

    def parse(self, text: str) -> date | None:
        return parse_date(text)

    def show(self, value: Any) -> str:  # noqa: A003
        return value.isoformat() if isinstance(value, date) else ("" if value is None else str(value))

    def _on_text(self, text: str) -> None:
        # Half-typed dates are not errors until the clerk leaves the field.
        try:
            value = self.parse(text)
        except ValueError:
            self.error = None
            self._restyle()
            return
        self.error = None
        self._restyle()
        self.changed.emit(value)

    def focusOutEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self._check()
        super().focusOutEvent(event)


class IntEdit(_LineBase):
    def __init__(self, parent: QWidget | None = None, *, minimum: int = 0, maximum: int = 9999) -> None:
        super().__init__(parent)
        self.setValidator(QIntValidator(minimum, maximum, self))
        self.minimum, self.maximum = minimum, maximum

    def parse(self, text: str) -> int | None:
        t = text.strip()
        if not t:
            return None
        try:
            value = int(t)
        except ValueError:
            raise ValueError(f"“{t}”不是整数") from None
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"应在 {self.minimum}–{self.maximum} 之间")
        return value


class YearEdit(IntEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, minimum=1900, maximum=2100)
        self.setPlaceholderText("YYYY")
        self.setMaxLength(4)

    def _on_text(self, text: str) -> None:
        if len(text.strip()) in (1, 2, 3):  # still typing
            self.error = None
            self._restyle()
            return
        super()._on_text(text)

    def focusOutEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self._check()
        super().focusOutEvent(event)


class MoneyEdit(_LineBase):
    """Yuan (or mu, km, m²) with up to two decimals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setValidator(QRegularExpressionValidator(QRegularExpression(r"^-?[0-9,]*\.?[0-9]{0,2}$"), self))
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def parse(self, text: str) -> Decimal | None:
        t = text.strip().replace(",", "")
        if not t or t in ("-", "."):
            return None
        try:
            value = Decimal(t)
        except InvalidOperation:
            raise ValueError(f"“{text}”不是有效数字") from None
        return value.quantize(Decimal("0.01"))

    def show(self, value: Any) -> str:  # noqa: A003
        if value is None:
            return ""
        text = f"{Decimal(value):.2f}"
        return text[:-3] if text.endswith(".00") else text


class MemoEdit(QPlainTextEdit):
    """Multi-line text; Tab moves on (Ctrl+Enter is not needed for keyboard-only entry)."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.textChanged.connect(lambda: self.changed.emit(self.value()))

    def value(self) -> str | None:
        return self.toPlainText().strip() or None

    def set_value(self, value: Any) -> None:
        was = self.blockSignals(True)
        self.setPlainText("" if value is None else str(value))
        self.blockSignals(was)

    def set_issue(self, message: str | None, severity_style: str = ERROR_STYLE) -> None:
        self.setStyleSheet(f"QPlainTextEdit {{{severity_style}}}" if message else "")
        self.setToolTip(message or "")


def set_combo_issue(combo: QComboBox, message: str | None, severity_style: str = ERROR_STYLE) -> None:
    combo.setStyleSheet(f"QComboBox {{{severity_style}}}" if message else "")
    combo.setToolTip(message or "")


def set_issue(widget: QWidget, message: str | None, severity: str = "错误") -> None:
    style = ERROR_STYLE if severity == "错误" else WARNING_STYLE
    if isinstance(widget, QComboBox):
        set_combo_issue(widget, message, style)
    elif hasattr(widget, "set_issue"):
        widget.set_issue(message, style)

