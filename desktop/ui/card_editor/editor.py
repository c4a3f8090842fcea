"""The household card editor: every section of the 明白卡 in one place.

Works on a :class:`desktop.core.households.Card` (plain data); saving is one
transaction (:func:`desktop.core.households.save_card`) with the operator in the
session so the audit log says who changed what. Problems are checked on every
change and listed under the sections (Enter on a problem goes to the field);
after a save the data-quality rules of ``desktop.core.checks`` (when installed)
run on the saved household and are listed too.

Keys: Alt+1 … Alt+0 pick a section; Ctrl+S saves, Ctrl+N starts a new card,
Esc leaves (asking about unsaved changes) — those three are window actions.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from db.base import utcnow
from db.engine import Database
from desktop.core import conflicts, households, rosters
from desktop.core.households import Card, CardGone, CarryForward, Issue
from desktop.ui.card_editor import conflict_dialog
from desktop.ui.card_editor.member_grid import MemberGrid
from desktop.ui.card_editor.sections import (
    BasicSection,
    CausesSection,
    ConditionsSection,
    EditorContext,
    ExitSection,
    HelpersSection,
    HistorySection,
    IncomeSection,
    PlansSection,
    Section,
    VisitsSection,
)
from desktop.ui.fields import Choice, keys_for
from desktop.ui.helper_picker import HelperChoices

log = logging.getLogger(__name__)

CAUSE_FIELDS = {"main_cause", "other_cause_1", "other_cause_2", "relapse_year", "relapse_cause"}
ROLE = Qt.ItemDataRole.UserRole


def run_checks(session: Any, household: Any) -> list[Any]:
    """Problems from the data-quality rules (desktop.core.checks), if that module exists."""
    try:
        if importlib.util.find_spec("desktop.core.checks") is None:
            return []
        from desktop.core.checks import check_household  # type: ignore[import-not-found]
    except ImportError:
        return []
    try:
        return list(check_household(session, household))
    except Exception:  # noqa: BLE001 - a broken rule must not lose the clerk's save
        log.exception("check_household failed")
        return []


class CardEditor(QWidget):
    """Signals:
    saved(uuid): the card was written to the database.
    leave_requested(): Esc — the window closes the card (asking first if needed).
    title_changed(text): for the tab title ("明白卡：张三*").
    """

    saved = Signal(str)
    leave_requested = Signal()
    title_changed = Signal(str)

    def __init__(self, database: Database, helper_choices: HelperChoices,
                 operator: Callable[[], str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.operator = operator or (lambda: "")
        with database.session() as session:
            year = rosters.working_year(session)
            villages = households.villages(session)
        self.ctx = EditorContext(database, helper_choices, year, villages)
        self.card = Card()
        self._original: tuple = ()
        self._base = Card()  # the card as loaded or last saved: what the clerk's edits are against
        self._loaded_at = utcnow()
        self.issues: list[Issue] = []
        self.check_problems: list[Any] = []
        self._loading = False

        self.heading = QLabel(self)
        self.heading.setObjectName("card_heading")
        self.heading.setStyleSheet("QLabel{font-size:15px;font-weight:bold}")
        self.dirty_label = QLabel(self)
        self.dirty_label.setStyleSheet("QLabel{color:#b3261e;font-weight:bold}")
        self.save_button = QPushButton(self.tr("保存 Ctrl+S"), self)
        self.save_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.close_button = QPushButton(self.tr("关闭 Esc"), self)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addWidget(self.dirty_label)
        head.addStretch(1)
        head.addWidget(self.save_button)
        head.addWidget(self.close_button)

        self.basic = BasicSection(self.ctx)
        self.members = MemberGrid(year)
        self.causes = CausesSection(self.ctx)
        self.conditions = ConditionsSection(self.ctx)
        self.income = IncomeSection(self.ctx)
        self.helpers = HelpersSection(self.ctx)
        self.plans = PlansSection(self.ctx)
        self.visits = VisitsSection(self.ctx)
        self.exits = ExitSection(self.ctx)
        self.history = HistorySection(self._history)
        self.sections: list[tuple[str, QWidget]] = [
            ("基本情况", self.basic), ("家庭成员", self.members), ("致贫原因", self.causes),
            ("生产生活条件", self.conditions), ("收入情况", self.income), ("帮扶责任人", self.helpers),
            ("帮扶计划与措施", self.plans), ("走访记录", self.visits), ("两不愁三保障与脱贫评估", self.exits),
            ("修改记录", self.history),
        ]
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("card_sections")
        self.tabs.setDocumentMode(True)
        for n, (title, widget) in enumerate(self.sections, start=1):
            self.tabs.addTab(widget, f"&{n % 10} {self.tr(title)}")
        self.tabs.currentChanged.connect(self._section_shown)

        self.problems = QListWidget(self)
        self.problems.setObjectName("problems")
        self.problems.setMaximumHeight(92)
        self.problems.itemActivated.connect(self._go_to_problem)
        self.problems_label = QLabel(self)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tabs)
        box = QWidget(splitter)
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.setSpacing(1)
        bl.addWidget(self.problems_label)
        bl.addWidget(self.problems)
        splitter.addWidget(box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(splitter, 1)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(0)
        self._check_timer.timeout.connect(self.recheck)
        for _title, widget in self.sections:
            if hasattr(widget, "edited"):
                widget.edited.connect(self._edited)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.leave_requested.emit)

    # ----- opening ---------------------------------------------------------
    @property
    def uuid(self) -> str | None:
        return self.card.uuid

    def load_household(self, uuid: str) -> bool:
        try:
            with self.database.session() as session:
                card = households.load_card(session, uuid)
        except LookupError as exc:
            QMessageBox.warning(self, self.tr("无法打开"), str(exc))
            return False
        self.show_card(card)
        return True

    def new_household(self, carry: CarryForward | None = None, village_id: int | None = None,
                      group_id: int | None = None) -> None:
        with self.database.session() as session:
            card = households.new_card(carry, village_id=village_id, group_id=group_id, session=session)
        self.show_card(card)
        self.tabs.setCurrentWidget(self.basic)
        self.basic.focus_first()

    def show_card(self, card: Card) -> None:
        self._loading = True
        with self.database.session() as session:
            self.ctx.working_year = rosters.working_year(session)
            villages = households.villages(session)
        self.ctx.lines.clear()
        if villages != self.ctx.villages or self.basic.village.count() <= 1:
            self.ctx.villages = villages
            self.basic.village.set_choices([Choice(i, name, keys_for(name, code, code[-3:]))
                                            for i, code, name in villages])
        self.card = card
        self.check_problems = []
        for _title, widget in self.sections:
            if widget is self.members:
                self.members.set_rows(card.members, self.ctx.working_year)
            else:
                widget.load(card)
        self._original = card.snapshot()
        self._base = card.copy()
        self._loaded_at = utcnow()
        self._loading = False
        self.recheck()

    # ----- state -------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self.card.snapshot() != self._original or bool(self.members.model.cell_errors)

    def discard_changes(self) -> None:
        """Forget unsaved edits (the card is shown as loaded or last saved)."""
        self.members.view.commit_open_editor()
        self.members.model.cell_errors.clear()
        if self.card.uuid:
            self.load_household(self.card.uuid)
        else:
            self._original = self.card.snapshot()
            self.recheck()

    def _edited(self) -> None:
        if self._loading:
            return
        self._check_timer.start()

    def recheck(self) -> None:
        """Re-validate the card and show problems, the member count and the title."""
        self._check_timer.stop()
        size = len(self.card.current_members)
        if self.card.household.get("household_size") != size and not self._loading:
            self.basic.set_size(size)
        self.causes.update_facts()
        issues = households.validate(self.card, self.ctx.working_year)
        for (row, key), message in self.members.model.cell_errors.items():
            issues.append(Issue("members", row, key, message.split("｜", 1)[0], blocking=True))
        self.issues = issues
        for _title, widget in self.sections:
            if isinstance(widget, Section):
                widget.show_issues(issues)
        self.members.show_issues(issues)
        self._fill_problems()
        self._update_title()

    def _fill_problems(self) -> None:
        self.problems.clear()
        ordered = sorted(self.issues, key=lambda i: (not i.blocking, i.severity != "错误"))
        for issue in ordered:
            tag = self.tr("不能保存") if issue.blocking else issue.severity
            item = QListWidgetItem(f"【{tag}】{issue.where()}：{issue.message}")
            item.setData(ROLE, (issue.section, issue.row, issue.field))
            item.setForeground(QColor("#b3261e" if issue.severity == "错误" else "#8a5a00"))
            self.problems.addItem(item)
        for p in self.check_problems:
            severity = getattr(p, "severity", "警告")
            item = QListWidgetItem(f"【{self.tr('检查')}·{severity}】{getattr(p, 'message', p)}")
            item.setData(ROLE, ("check", getattr(p, "member_uuid", None), getattr(p, "field", None)))
            item.setForeground(QColor("#b3261e" if severity == "错误" else "#8a5a00"))
            self.problems.addItem(item)
        n_err = sum(1 for i in self.issues if i.severity == "错误")
        n_warn = len(self.issues) - n_err
        text = self.tr("问题：%d 个错误，%d 个警告") % (n_err, n_warn)
        if self.check_problems:
            text += self.tr("；保存后检查发现 %d 个问题") % len(self.check_problems)
        if not self.issues and not self.check_problems:
            self.problems_label.setText(self.tr("没有发现问题。"))
            self.problems.hide()
            return
        self.problems.show()
        self.problems_label.setText(text + self.tr("　（在问题上按 Enter 跳到对应栏目）"))

    def _update_title(self) -> None:
        name = self.card.head_name or (self.tr("新户") if self.card.uuid is None else self.tr("（无户主）"))
        number = self.card.household.get("household_number") or ""
        village = next((n for i, _c, n in self.ctx.villages if i == self.card.household.get("village_id")), "")
        self.heading.setText(f"{name}　{number}　{village}")
        dirty = self.is_dirty()
        self.dirty_label.setText(self.tr("● 未保存") if dirty else "")
        self.title_changed.emit(self.tr("明白卡：%s") % name + ("*" if dirty else ""))

    # ----- navigation --------------------------------------------------------
    def _section_shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        self.members.view.commit_open_editor()
        if widget is self.history:
            self.history.reload()
        if widget is self.causes:
            self.causes.update_facts()
        if widget is self.members:
            QTimer.singleShot(0, self.members.focus_first)
        elif isinstance(widget, Section):
            QTimer.singleShot(0, widget.focus_first)

    def show_section(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        section, row, key = item.data(ROLE)
        if section == "check":  # row is the member's uuid (or None)
            index = next((i for i, m in enumerate(self.card.members) if row and m.get("uuid") == row), None)
            if index is not None:
                self.go_to("members", index, key)
            else:
                self.go_to("household", None, key)
            return
        self.go_to(section, row, key)

    def go_to(self, section: str, row: int | None, key: str | None) -> None:
        if section == "household":
            target: QWidget = self.basic
            if key in CAUSE_FIELDS:
                target = self.causes
            elif key and any(key in f.editors for f in self.conditions.forms):
                target = self.conditions
            self.tabs.setCurrentWidget(target)
            QTimer.singleShot(0, lambda: target.focus_field(row, key))
            return
        if section == "members":
            self.tabs.setCurrentWidget(self.members)
            model = self.members.model
            col = model.keys.index(key) if key in model.keys else 0
            if row is not None and row < model.rowCount():
                QTimer.singleShot(0, lambda: (self.members.view.setFocus(),
                                              self.members.view.setCurrentIndex(model.index(row, col))))
            return
        target_map = {"incomes": self.income, "assignments": self.helpers, "plans": self.plans,
                      "measures": self.plans, "visits": self.visits, "exits": self.exits}
        target = target_map.get(section, self.basic)
        self.tabs.setCurrentWidget(target)
        if target is self.plans:
            QTimer.singleShot(0, lambda: self.plans.focus_field(row, key, section))
        else:
            QTimer.singleShot(0, lambda: target.focus_field(row, key))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.leave_requested.emit()
            return
        super().keyPressEvent(event)

    # ----- saving --------------------------------------------------------------
    def commit_pending(self) -> None:
        self.members.view.commit_open_editor()
        self.recheck()

    def save(self) -> bool:
        """Save the card in one transaction; False if it was not saved (the card is kept)."""
        self.commit_pending()
        blocking = [i for i in self.issues if i.blocking]
        if blocking:
            text = "\n".join(f"· {i.where()}：{i.message}" for i in blocking[:10])
            QMessageBox.warning(self, self.tr("不能保存"), self.tr("请先改正以下问题再保存：\n%s") % text)
            first = blocking[0]
            self.go_to(first.section, first.row, first.field)
            return False
        errors = [i for i in self.issues if i.severity == "错误"]
        if errors:
            text = "\n".join(f"· {i.where()}：{i.message}" for i in errors[:8])
            box = QMessageBox(QMessageBox.Icon.Warning, self.tr("仍有错误"),
                              self.tr("这张明白卡还有 %d 个错误：\n%s\n\n仍然保存吗？（可以以后再改正）") % (len(errors), text),
                              parent=self)
            keep = box.addButton(self.tr("仍然保存(&Y)"), QMessageBox.ButtonRole.AcceptRole)
            back = box.addButton(self.tr("返回修改(&N)"), QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(back)
            box.exec()
            if box.clickedButton() is not keep:
                return False
        working = self.card.copy()
        try:
            with self.database.session() as session:
                household = households.save_card(session, working, operator=self.operator() or None)
                problems = run_checks(session, household)
        except StaleDataError:
            self.resolve_conflict()
            return False
        except CardGone as exc:
            QMessageBox.warning(self, self.tr("不能保存"), str(exc))
            return False
        except SQLAlchemyError as exc:
            log.exception("saving a card failed")
            QMessageBox.critical(self, self.tr("保存失败"),
                                 self.tr("保存失败，数据库未作任何改动：\n%s") % getattr(exc, "orig", exc))
            return False
        self.card = working
        for _title, widget in self.sections:
            if widget is self.members:
                self.members.set_rows(working.members, self.ctx.working_year)
            else:
                self._loading = True
                widget.load(working)
                self._loading = False
        self._original = working.snapshot()
        self._base = working.copy()
        self._loaded_at = utcnow()
        self.check_problems = problems
        self.recheck()
        if self.tabs.currentWidget() is self.history:
            self.history.reload()
        self.saved.emit(working.uuid or "")
        return True

    def resolve_conflict(self) -> str:
        """Someone else saved this household since it was loaded: show both versions and let
        the clerk reload, re-apply their changes onto the newer card, or keep editing.

        Returns the choice (``conflict_dialog.RELOAD`` / ``REAPPLY`` / ``CANCEL``).
        """
        mine, base = self.card, self._base
        try:
            with self.database.session() as session:
                theirs = households.load_card(session, mine.uuid or "")
                names = conflicts.Names.load(session, (mine, base, theirs))
                saver = (conflicts.last_saver(session, theirs.uuid or "", self._loaded_at)
                         or conflicts.last_saver(session, theirs.uuid or ""))
        except LookupError as exc:
            QMessageBox.warning(self, self.tr("不能保存"), str(exc))
            return conflict_dialog.CANCEL
        except SQLAlchemyError as exc:
            log.exception("reading the newer card failed")
            QMessageBox.critical(self, self.tr("保存失败"),
                                 self.tr("这一户已被他人修改，读取最新内容时出错：\n%s") % getattr(exc, "orig", exc))
            return conflict_dialog.CANCEL
        differences = conflicts.describe(mine, base, theirs, names)
        dialog = conflict_dialog.ConflictDialog(differences, saver, head_name=mine.head_name, parent=self)
        choice = conflict_dialog.ask(dialog)
        dialog.deleteLater()
        if choice == conflict_dialog.RELOAD:
            self.show_card(theirs)
        elif choice == conflict_dialog.REAPPLY:
            merged, skipped = conflicts.reapply(mine, base, theirs)
            self.show_card(merged)
            self._original = theirs.snapshot()  # the clerk's changes are unsaved until they save
            self._base = theirs.copy()
            self.recheck()
            if skipped:
                text = "\n".join(f"· {d.item}：{d.mine}" for d in skipped[:10])
                QMessageBox.information(self, self.tr("部分修改未能重新应用"),
                                        self.tr("以下修改所在的记录已被对方删除，没有重新应用：\n%s") % text)
        return choice

    def confirm_leave(self) -> bool:
        """True if the card may be closed: nothing unsaved, or the clerk chose to save / discard."""
        self.commit_pending()
        if not self.is_dirty():
            return True
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("未保存的修改"),
                          self.tr("“%s”的明白卡有未保存的修改。要保存吗？") % (self.card.head_name or self.tr("新户")),
                          parent=self)
        save = box.addButton(self.tr("保存(&S)"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("不保存(&N)"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(self.tr("取消(&C)"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return self.save()
        return clicked is discard

    def _history(self) -> list[households.HistoryEntry]:
        if not self.card.uuid:
            return []
        with self.database.session() as session:
            return households.history(session, self.card.uuid)
