"""Pick a helper (帮扶责任人) from the roster by typing: name, pinyin initials, unit or phone."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget
from sqlalchemy import select

from db.engine import Database
from db.models import Helper

ID_ROLE = Qt.ItemDataRole.UserRole
KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class HelperChoices(QObject):
    """The active helpers as a completion model, shared by every picker of a window."""

    reloaded = Signal()

    def __init__(self, database: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.model = QStandardItemModel(self)
        self.names: dict[int, str] = {}
        self._loaded = False

    def ensure(self) -> None:
        if not self._loaded:
            self.reload()

    def reload(self) -> None:
        with self.database.session() as session:
            rows = session.execute(
                select(Helper.id, Helper.name, Helper.unit, Helper.post, Helper.phone, Helper.search_key)
                .where(Helper.active.is_(True))
                .order_by(Helper.name, Helper.id)
            ).all()
        self.model.clear()
        self.names = {}
        items = []
        for hid, name, unit, post, phone, key in rows:
            extra = "·".join(x for x in (unit, post) if x)
            text = f"{name}（{extra}）" if extra else name
            item = QStandardItem(text)
            item.setData(hid, ID_ROLE)
            item.setData(f"{(key or '').lower()} {text.lower()} {phone or ''}", KEY_ROLE)
            item.setEditable(False)
            items.append(item)
            self.names[hid] = text
        if items:
            self.model.invisibleRootItem().appendRows(items)
        self._loaded = True
        self.reloaded.emit()

    def text_of(self, helper_id: int | None) -> str:
        if helper_id is None:
            return ""
        self.ensure()
        if helper_id not in self.names:
            with self.database.session() as session:
                helper = session.get(Helper, helper_id)
                if helper is None:
                    return ""
                extra = "·".join(x for x in (helper.unit, helper.post) if x)
                return f"{helper.name}（{extra}）" if extra else helper.name
        return self.names[helper_id]


class _Completer(QCompleter):
    def pathFromIndex(self, index: QModelIndex) -> str:  # noqa: N802 - Qt override
        return str(index.data(Qt.ItemDataRole.DisplayRole) or "")


class HelperPicker(QLineEdit):
    """A line edit completing over the helper roster.

    Signals:
        changed(helper_id | None): a helper was picked (or the field cleared).
    """

    changed = Signal(object)

    def __init__(self, choices: HelperChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices
        self._id: int | None = None
        self.setPlaceholderText(self.tr("输入姓名、拼音首字母、单位或电话"))
        self.setClearButtonEnabled(True)
        completer = _Completer(self)
        completer.setCompletionRole(KEY_ROLE)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(12)
        self._completer = completer
        self.setCompleter(completer)
        completer.activated[QModelIndex].connect(self._picked)
        self.textEdited.connect(self._typed)
        self.editingFinished.connect(self._resolve)
        self._model_set = False

    def _ensure_model(self) -> None:
        if not self._model_set:
            self.choices.ensure()
            self._completer.setModel(self.choices.model)
            self._model_set = True

    def focusInEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self._ensure_model()
        super().focusInEvent(event)

    def value(self) -> int | None:
        return self._id

    def set_value(self, helper_id: Any) -> None:
        self._id = helper_id
        was = self.blockSignals(True)
        self.setText(self.choices.text_of(helper_id) if helper_id is not None else "")
        self.blockSignals(was)

    def set_issue(self, message: str | None, style: str = "") -> None:
        self.setStyleSheet(f"QLineEdit {{{style}}}" if message else "")
        self.setToolTip(message or "")

    def _picked(self, index: QModelIndex) -> None:
        helper_id = index.data(ID_ROLE)
        self._id = int(helper_id) if helper_id is not None else None
        self.setText(str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        self.changed.emit(self._id)

    def _typed(self, text: str) -> None:
        self._ensure_model()
        if not text.strip() and self._id is not None:
            self._id = None
            self.changed.emit(None)

    def _resolve(self) -> None:
        """Enter without picking: accept the single match of what was typed."""
        text = self.text().strip()
        if not text:
            return
        if self._id is not None and self.choices.text_of(self._id) == text:
            return
        self._ensure_model()
        needle = text.lower()
        found = []
        for row in range(self.choices.model.rowCount()):
            item = self.choices.model.item(row)
            if item.text() == text:
                found = [item]
                break
            if needle in str(item.data(KEY_ROLE)):
                found.append(item)
                if len(found) > 1:
                    break
        if len(found) == 1:
            self._id = int(found[0].data(ID_ROLE))
            was = self.blockSignals(True)
            self.setText(found[0].text())
            self.blockSignals(was)
            self.changed.emit(self._id)
