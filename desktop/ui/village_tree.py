"""Township → villages → groups, with household counts; picking a node filters the list."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from db.engine import Database
from desktop.core import search

ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Scope:
    """What a tree node stands for (all None: everything)."""

    township_id: int | None = None
    village_id: int | None = None
    group_id: int | None = None  # search.NO_GROUP for "未分组"


class VillageTree(QTreeWidget):
    """Signals:
    scope_changed(Scope): the clerk picked a node.
    """

    scope_changed = Signal(object)

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.setHeaderHidden(True)
        self.setColumnCount(1)
        self.setUniformRowHeights(True)
        self.setAccessibleName(self.tr("行政区划"))
        self.currentItemChanged.connect(self._on_current)
        self._loading = False
        self.reload()

    def reload(self) -> None:
        """Rebuild with fresh counts, keeping the current node."""
        keep = self.scope()
        expanded = {self._scope_of(self.topLevelItem(i)) for i in range(self.topLevelItemCount())}
        expanded |= {self._scope_of(it) for it in self._all_items() if it.isExpanded()}
        with self.database.session() as session:
            tree = search.region_tree(session)
        self._loading = True
        self.clear()
        total = sum(t.count for t in tree)
        parents: list[QTreeWidgetItem] = []
        if len(tree) != 1:
            root = QTreeWidgetItem([self.tr("全部（%s 户）") % f"{total:,}"])
            root.setData(0, ROLE, Scope())
            self.addTopLevelItem(root)
            parents = [root]
        for t in tree:
            item = QTreeWidgetItem([f"{t.name}（{t.count:,}）"])
            item.setData(0, ROLE, Scope(township_id=t.id))
            item.setToolTip(0, self.tr("%s，乡镇代码 %s") % (t.name, t.code))
            if parents:
                parents[0].addChild(item)
            else:
                self.addTopLevelItem(item)
            for v in t.villages:
                vitem = QTreeWidgetItem([f"{v.name}（{v.count:,}）"])
                vitem.setData(0, ROLE, Scope(township_id=t.id, village_id=v.id))
                vitem.setToolTip(0, self.tr("%s，村代码 %s") % (v.name, v.code))
                item.addChild(vitem)
                for g in v.groups:
                    gid = g.id if g.id is not None else search.NO_GROUP
                    gitem = QTreeWidgetItem([f"{g.name}（{g.count:,}）"])
                    gitem.setData(0, ROLE, Scope(township_id=t.id, village_id=v.id, group_id=gid))
                    vitem.addChild(gitem)
        for i in range(self.topLevelItemCount()):
            self.topLevelItem(i).setExpanded(True)
            for j in range(self.topLevelItem(i).childCount()):
                child = self.topLevelItem(i).child(j)
                if parents:
                    child.setExpanded(True)
        for it in self._all_items():
            if self._scope_of(it) in expanded and it.childCount():
                it.setExpanded(True)
        self._select(keep)
        self._loading = False

    def scope(self) -> Scope:
        item = self.currentItem()
        return self._scope_of(item) if item is not None else Scope()

    def set_scope(self, scope: Scope) -> None:
        self._select(scope)

    def _select(self, scope: Scope) -> None:
        for it in self._all_items():
            if self._scope_of(it) == scope:
                self.setCurrentItem(it)
                return
        if self.topLevelItemCount():
            self.setCurrentItem(self.topLevelItem(0))

    def _all_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            it = stack.pop()
            out.append(it)
            stack.extend(it.child(i) for i in range(it.childCount()))
        return out

    @staticmethod
    def _scope_of(item: QTreeWidgetItem | None) -> Scope:
        if item is None:
            return Scope()
        value = item.data(0, ROLE)
        return value if isinstance(value, Scope) else Scope()

    def _on_current(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if not self._loading:
            self.scope_changed.emit(self._scope_of(current))
