"""The 概况仪表盘 tab: a filter bar, key figures and eight charts.

All numbers come from :mod:`desktop.core.dashboard`, computed off the GUI thread
in a private one-thread pool with its own database session; a newer request
cancels the older one and stale results are dropped. Clicking a bar, slice or
key figure opens the household list filtered to it: ``window.show_households
(filters)`` when the main window has it, else a simple list dialog of our own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QObject, QPoint, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QKeyEvent, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.core import dashboard
from desktop.core.progress import Cancelled, Progress
from desktop.ui.dashboard.charts import BarChart, ChartWidget, DonutChart, save_image_atomically
from desktop.ui.dashboard.household_dialog import HouseholdListDialog
from desktop.ui.tasks import run_task

REFERENCE_LATEST, REFERENCE_TODAY, REFERENCE_CUSTOM = range(3)
# Item data of "all villages / townships". Never None: PySide6 6.12 on Python 3.11 loses a
# reference to None for every None passed through a QVariant (see qtrefs.py).
ALL = ""


def _current(combo: QComboBox, default: Any) -> Any:
    """The current item's data; ``default`` when nothing is selected (never an invalid QVariant)."""
    return combo.currentData() if combo.currentIndex() >= 0 else default


class _JobSignals(QObject):
    done = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, generation: int, fn: Callable[[], Any], signals: _JobSignals) -> None:
        super().__init__()
        self.generation, self.fn, self.signals = generation, fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - reported on the GUI thread
            self.signals.failed.emit(self.generation, exc)
        else:
            self.signals.done.emit(self.generation, result)


class KpiCard(QFrame):
    """A key figure: a caption, a big number and a line of detail; clickable and focusable.

    Signals:
        activated(): clicked, or Enter/Space while focused.
    """

    activated = Signal()

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpi")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.setSpacing(0)
        self.caption = QLabel(caption, self)
        self.value = QLabel("—", self)
        self.detail = QLabel("", self)
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() + 4)
        font.setBold(True)
        self.value.setFont(font)
        for label in (self.caption, self.detail):
            label.setStyleSheet("color: #555555;")
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        self.filters: dict[str, Any] | None = None
        self.description = caption
        self.setAccessibleName(caption)

    def set(self, value: str, detail: str = "", filters: dict[str, Any] | None = None,
            color: str | None = None, description: str | None = None) -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.filters = filters
        self.description = description or self.caption.text()
        self.value.setStyleSheet(f"color: {color};" if color else "")
        self.setToolTip(self.tr("单击或按回车：查看这些户") if filters is not None else "")

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.LeftButton and self.filters is not None:
            self.activated.emit()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.filters is not None:
            self.activated.emit()
            return
        super().keyPressEvent(event)


class ChartPanel(QFrame):
    """A framed chart with an optional row of controls under it."""

    def __init__(self, chart: ChartWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.chart = chart
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(chart, 1)
        self.footer = QHBoxLayout()
        self.footer.setContentsMargins(8, 0, 8, 4)
        self.footer.setSpacing(6)
        layout.addLayout(self.footer)


class DashboardTab(QWidget):
    """Signals:
        refreshed(): new numbers are shown.
        checks_finished(): the data-quality checks ran.
        households_requested(object): a bar/slice/figure was activated (the filter dict follows).
    """

    refreshed = Signal()
    checks_finished = Signal()
    households_requested = Signal(object)

    def __init__(self, database: Database, window: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.main_window = window
        self.overview: dashboard.Overview | None = None
        self.options: dashboard.Options | None = None
        self.checks: dashboard.ChecksInfo | None = None
        self._problems: list[Any] | None = None
        self._problems_stale = False
        self._generation = 0
        self._progress: Progress | None = None
        self._stale = True
        self._error: str | None = None
        self.last_dialog: HouseholdListDialog | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _JobSignals()
        self._signals.done.connect(self._job_done)
        self._signals.failed.connect(self._job_failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh)
        self.setStyleSheet(
            "#panel { background: white; border: 1px solid #d4d4d4; border-radius: 3px; }"
            "#kpi { background: white; border: 1px solid #d4d4d4; border-radius: 3px; }"
            "#kpi:focus { border: 2px solid palette(highlight); }"
        )
        self._build()
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ----- building -----------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(6)
        bar = QHBoxLayout()
        bar.setSpacing(6)

        def labelled(text: str, widget: QWidget) -> QLabel:
            label = QLabel(text, self)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget)
            return label

        self.township_combo = QComboBox(self)
        self.township_label = labelled(self.tr("乡镇(&T)："), self.township_combo)
        self.village_combo = QComboBox(self)
        self.village_combo.setMinimumContentsLength(11)
        self.village_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.village_combo.setMaxVisibleItems(25)
        labelled(self.tr("行政村(&V)："), self.village_combo)
        self.year_combo = QComboBox(self)
        labelled(self.tr("年度(&Y)："), self.year_combo)
        self.days_spin = QSpinBox(self)
        self.days_spin.setRange(1, 3650)
        self.days_spin.setValue(dashboard.DEFAULT_VISIT_DAYS)
        self.days_spin.setSuffix(self.tr(" 天"))
        self.days_spin.setToolTip(self.tr("多少天内没有走访记录算作未走访"))
        labelled(self.tr("未走访天数(&D)："), self.days_spin)
        self.reference_combo = QComboBox(self)
        self.reference_combo.addItems([self.tr("最近走访日期"), self.tr("今天"), self.tr("指定日期")])
        self.reference_combo.setToolTip(self.tr("计算“多少天未走访”所对照的日期"))
        labelled(self.tr("参考日期(&R)："), self.reference_combo)
        self.reference_date = QDateEdit(self)
        self.reference_date.setCalendarPopup(True)
        self.reference_date.setDisplayFormat("yyyy-MM-dd")
        self.reference_date.setDate(QDate.currentDate())
        self.reference_date.setEnabled(False)
        bar.addWidget(self.reference_date)
        self.refresh_button = QPushButton(self.tr("刷新(F5)"), self)
        self.refresh_button.clicked.connect(self.refresh)
        bar.addWidget(self.refresh_button)
        self.save_page_button = QPushButton(self.tr("整页存为图片(&P)…"), self)
        self.save_page_button.clicked.connect(lambda: self.save_page_png())
        bar.addWidget(self.save_page_button)
        bar.addStretch(1)
        self.status_label = QLabel("", self)
        self.status_label.setStyleSheet("color: #666666;")
        bar.addWidget(self.status_label)
        outer.addLayout(bar)

        kpis = QHBoxLayout()
        kpis.setSpacing(6)
        self.kpi: dict[str, KpiCard] = {}
        for key, caption in (("all", self.tr("贫困户")), ("poor", self.tr("未脱贫（含预脱贫、返贫）")),
                             ("exited", self.tr("已脱贫")), ("funds", self.tr("帮扶资金")),
                             ("below", self.tr("人均纯收入低于标准")), ("visits", self.tr("未走访")),
                             ("checks", self.tr("检查问题"))):
            card = KpiCard(caption, self)
            card.activated.connect(lambda card=card: self._kpi_activated(card))
            kpis.addWidget(card)
            self.kpi[key] = card
        outer.addLayout(kpis)

        grid = QGridLayout()
        grid.setSpacing(6)
        self.charts: dict[str, ChartWidget] = {
            "share": DonutChart(self),
            "area": BarChart(horizontal=True, parent=self),
            "exits": BarChart(parent=self),
            "causes": BarChart(horizontal=True, parent=self),
            "measures": BarChart(horizontal=True, parent=self),
            "income": BarChart(parent=self),
            "visits": BarChart(parent=self),
            "checks": BarChart(horizontal=True, parent=self),
        }
        titles = {"share": "户数构成", "area": "各村户数", "exits": "脱贫进度（计划与实际）", "causes": "主要致贫原因",
                  "measures": "帮扶措施资金", "income": "人均纯收入分布", "visits": "走访情况", "checks": "检查发现的问题"}
        self.panels: dict[str, ChartPanel] = {}
        for i, (key, chart) in enumerate(self.charts.items()):
            chart.setObjectName(f"chart_{key}")
            chart.set_message(self.tr("正在统计…"), self.tr(titles[key]))
            chart.activated.connect(self.open_households)
            panel = ChartPanel(chart, self)
            self.panels[key] = panel
            grid.addWidget(panel, i // 4, i % 4)
        for col in range(4):
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        outer.addLayout(grid, 1)

        # donut: which breakdown
        self.share_group = QButtonGroup(self)
        self.share_buttons: list[QToolButton] = []
        share_footer = self.panels["share"].footer
        for i, text in enumerate((self.tr("按脱贫状态"), self.tr("按贫困户属性"))):
            button = QToolButton(self)
            button.setText(text)
            button.setCheckable(True)
            button.setChecked(i == 0)
            button.setAutoRaise(True)
            self.share_group.addButton(button, i)
            share_footer.addWidget(button)
            self.share_buttons.append(button)
        share_footer.addStretch(1)
        self.share_group.idToggled.connect(lambda _i, on: on and self._show_share())

        # checks: run on demand
        self.checks_button = QPushButton(self.tr("运行检查(&K)"), self)
        self.checks_button.clicked.connect(self.run_checks)
        self.checks_state = QLabel("", self)
        self.checks_state.setStyleSheet("color: #666666;")
        footer = self.panels["checks"].footer
        footer.addWidget(self.checks_button)
        footer.addWidget(self.checks_state, 1)
        if dashboard.checks_module() is None:
            self.checks_button.setEnabled(False)
            self.checks_button.setToolTip(self.tr("检查功能尚未安装"))
        self.charts["checks"].set_message(self.tr("未运行检查"), self.tr("检查发现的问题"))

        self.township_combo.currentIndexChanged.connect(self._township_changed)
        self.village_combo.currentIndexChanged.connect(self.schedule_refresh)
        self.year_combo.currentIndexChanged.connect(self.schedule_refresh)
        self.days_spin.valueChanged.connect(self.schedule_refresh)
        self.reference_combo.currentIndexChanged.connect(self._reference_changed)
        self.reference_date.dateChanged.connect(self.schedule_refresh)

    # ----- options --------------------------------------------------------------
    def _fill_options(self, opts: dashboard.Options) -> None:
        first = self.options is None
        self.options = opts
        widgets = (self.township_combo, self.village_combo, self.year_combo)
        for w in widgets:
            w.blockSignals(True)
        try:
            current_t = _current(self.township_combo, ALL)
            self.township_combo.clear()
            self.township_combo.addItem(self.tr("全部乡镇（%1个）").replace("%1", str(len(opts.townships))), ALL)
            for code, name in opts.townships:
                self.township_combo.addItem(f"{name}（{code}）", code)
            self._select_data(self.township_combo, current_t)
            several = len(opts.townships) > 1
            self.township_combo.setVisible(several)
            self.township_label.setVisible(several)
            self._fill_villages()
            current_y = _current(self.year_combo, None)
            self.year_combo.clear()
            for y in opts.years:
                self.year_combo.addItem(str(y), y)
            self._select_data(self.year_combo, opts.default_year if first or current_y is None else current_y)
            latest = opts.latest_visit
            self.reference_combo.setItemText(
                REFERENCE_LATEST, self.tr("最近走访日期（%1）").replace("%1", latest.isoformat()) if latest
                else self.tr("最近走访日期（无走访记录）"))
            if first and latest:
                self.reference_date.blockSignals(True)
                self.reference_date.setDate(QDate(latest.year, latest.month, latest.day))
                self.reference_date.blockSignals(False)
        finally:
            for w in widgets:
                w.blockSignals(False)

    def _fill_villages(self) -> None:
        assert self.options is not None
        township = _current(self.township_combo, ALL) or None
        current = _current(self.village_combo, ALL)
        self.village_combo.blockSignals(True)
        self.village_combo.clear()
        villages = [v for v in self.options.villages if township is None or v.township_code == township]
        self.village_combo.addItem(self.tr("全部（%1个村）").replace("%1", str(len(villages))), ALL)
        several = len({v.township_code for v in villages}) > 1
        for v in villages:
            self.village_combo.addItem(f"{v.township_name}·{v.name}" if several else v.name, v.uuid)
        self._select_data(self.village_combo, current)
        self.village_combo.blockSignals(False)

    @staticmethod
    def _select_data(combo: QComboBox, value: Any) -> None:
        index = combo.findData(value) if value not in (None, ALL) else 0
        combo.setCurrentIndex(max(0, index))

    def _township_changed(self) -> None:
        if self.options is not None:
            self._fill_villages()
        self.schedule_refresh()

    def _reference_changed(self, index: int) -> None:
        self.reference_date.setEnabled(index == REFERENCE_CUSTOM)
        self.schedule_refresh()

    # ----- the current request ----------------------------------------------------
    def scope(self) -> dashboard.Scope:
        return dashboard.Scope(township_code=_current(self.township_combo, ALL) or None,
                               village_uuid=_current(self.village_combo, ALL) or None)

    def year(self) -> int | None:
        return _current(self.year_combo, None)

    def as_of(self) -> date | None:
        """None means: the latest visit in the database (else today), decided in the worker."""
        index = self.reference_combo.currentIndex()
        if index == REFERENCE_TODAY:
            return date.today()
        if index == REFERENCE_CUSTOM:
            return self.reference_date.date().toPython()
        return None

    def select_village(self, uuid: str | None) -> None:
        self._select_data(self.village_combo, uuid)

    # ----- refreshing ----------------------------------------------------------------
    def mark_stale(self) -> None:
        """Data changed elsewhere: refresh now if visible, else when next shown."""
        self._stale = True
        if self._problems is not None:
            self._problems_stale = True
        if self.isVisible():
            self.schedule_refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.schedule_refresh()

    def schedule_refresh(self) -> None:
        self._debounce.start()

    def refresh(self) -> None:
        """Recompute everything in the background; newer requests cancel older ones."""
        self._debounce.stop()
        self._stale = False
        self._cancel_running()
        self._generation += 1
        progress = Progress()
        self._progress = progress
        database, scope, year = self.database, self.scope(), self.year()
        days, as_of, problems = self.days_spin.value(), self.as_of(), self._problems

        def work() -> tuple[dashboard.Options, dashboard.Overview, dashboard.ChecksInfo | None]:
            with database.session() as session:
                opts = dashboard.options(session)
                overview = dashboard.compute(session, scope, year=year or opts.default_year, visit_days=days,
                                             as_of=as_of, progress=progress)
                progress.check()
                checks = None
                if problems is not None:
                    checks = dashboard.problems_chart(session, scope, problems, dashboard.checks_module())
                return opts, overview, checks

        self.status_label.setText(self.tr("正在统计…"))
        self._pool.clear()
        self._pool.start(_Job(self._generation, work, self._signals))

    def _cancel_running(self) -> None:
        if self._progress is not None:
            self._progress.cancel()

    def is_busy(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def _job_done(self, generation: int, result: Any) -> None:
        if generation != self._generation:
            return
        opts, overview, checks = result
        self._error = None
        self._fill_options(opts)
        self.overview = overview
        if checks is not None:
            self.checks = checks
        self._apply()
        elapsed = sum(overview.timings.values())
        self.status_label.setText(self.tr("统计用时 %1 秒").replace("%1", f"{elapsed:.2f}"))
        self.refreshed.emit()

    def _job_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or isinstance(exc, Cancelled):
            return
        self._error = str(exc)
        self.status_label.setText(self.tr("统计失败：%1").replace("%1", str(exc)))
        for chart in self.charts.values():
            if chart is not self.charts["checks"]:
                chart.set_message(self.tr("统计失败：%1").replace("%1", str(exc)))
        self.refreshed.emit()

    # ----- showing ------------------------------------------------------------------
    def _apply(self) -> None:
        o = self.overview
        assert o is not None
        self._show_share()
        self.charts["area"].set_data(o.area)
        self.charts["exits"].set_data(o.exits)
        self.charts["causes"].set_data(o.causes)
        self.charts["measures"].set_data(o.measures, self.tr("%1年没有帮扶措施记录").replace("%1", str(o.year)))
        self.charts["income"].set_data(o.income, self.tr("%1年没有收入记录").replace("%1", str(o.year)))
        self.charts["visits"].set_data(o.visits)
        self._show_checks()
        scope = o.scope.filters()
        t = o.totals
        poor_statuses = [s for s in dashboard.POOR_STATUSES if s in t.by_status]
        exited_statuses = [s for s in dashboard.EXITED_STATUSES if s in t.by_status]
        self.kpi["all"].set(self.tr("%1 户").replace("%1", f"{t.households:,}"),
                            self.tr("%1 人").replace("%1", f"{t.people:,}"), dict(scope),
                            description=self.tr("全部贫困户"))
        poor, exited = t.poor, t.exited
        share = f"{poor[0] / t.households:.1%}" if t.households else "—"
        self.kpi["poor"].set(self.tr("%1 户").replace("%1", f"{poor[0]:,}"),
                             self.tr("%1 人 · 占 %2").replace("%1", f"{poor[1]:,}").replace("%2", share),
                             {**scope, "exit_status": poor_statuses}, color="#c9302c",
                             description=self.tr("未脱贫（含预脱贫、返贫）"))
        self.kpi["exited"].set(self.tr("%1 户").replace("%1", f"{exited[0]:,}"),
                               self.tr("%1 人").replace("%1", f"{exited[1]:,}"),
                               {**scope, "exit_status": exited_statuses}, color="#2e7d32",
                               description=self.tr("已脱贫"))
        m = o.measure_totals
        self.kpi["funds"].caption.setText(self.tr("%1年帮扶资金").replace("%1", str(m.year)))
        self.kpi["funds"].set(dashboard.format_yuan(m.amount),
                              self.tr("%1 项措施 · %2 户").replace("%1", f"{m.measures:,}")
                              .replace("%2", f"{m.households:,}"),
                              {**scope, "measure_year": m.year}, description=self.tr("%1年有帮扶措施的户")
                              .replace("%1", str(m.year)))
        info = o.income_info
        if info.line is not None:
            self.kpi["below"].caption.setText(self.tr("%1年人均纯收入低于标准").replace("%1", str(info.year)))
            self.kpi["below"].set(self.tr("%1 户").replace("%1", f"{info.below_line:,}"),
                                  self.tr("标准 %1 元 · 有记录 %2 户").replace("%1", dashboard._yuan(info.line))
                                  .replace("%2", f"{info.with_record:,}"),
                                  {**scope, "income_year": info.year, "per_capita_max": f"{info.line:.2f}"},
                                  color="#c9302c" if info.below_line else None,
                                  description=self.tr("%1年人均纯收入低于贫困标准").replace("%1", str(info.year)))
        else:
            self.kpi["below"].set("—", self.tr("未设置%1年贫困标准").replace("%1", str(info.year)))
        v = o.visit_info
        self.kpi["visits"].caption.setText(self.tr("近%1天未走访").replace("%1", str(v.days)))
        self.kpi["visits"].set(self.tr("%1 户").replace("%1", f"{v.not_visited:,}"),
                               self.tr("截至 %1").replace("%1", v.as_of.isoformat()),
                               {**scope, "visit_as_of": v.as_of.isoformat(), "not_visited_days": v.days},
                               color="#c9302c" if v.not_visited else None,
                               description=self.tr("截至%1近%2天未走访").replace("%1", v.as_of.isoformat())
                               .replace("%2", str(v.days)))

    def _show_share(self) -> None:
        if self.overview is None:
            return
        by_attribute = self.share_group.checkedId() == 1
        self.charts["share"].set_data(self.overview.attribute if by_attribute else self.overview.status)

    def _show_checks(self) -> None:
        chart, card = self.charts["checks"], self.kpi["checks"]
        info = self.checks
        if info is None or not info.ran:
            available = dashboard.checks_module() is not None
            text = self.tr("未运行检查") if available else self.tr("未运行检查（检查功能尚未安装）")
            chart.set_message(text, self.tr("检查发现的问题"))
            card.set(self.tr("未运行"), self.tr("按“运行检查”开始") if available else self.tr("检查功能尚未安装"))
            self.checks_state.setText("")
            return
        chart.set_data(info.chart, self.tr("没有未处理的问题"))
        uuids = sorted({u for f in (info.chart.category_filters if info.chart else []) for u in f["household_uuids"]})
        card.set(self.tr("错误 %1 · 警告 %2").replace("%1", f"{info.errors:,}").replace("%2", f"{info.warnings:,}"),
                 self.tr("涉及 %1 户").replace("%1", f"{info.households:,}"),
                 {"household_uuids": uuids} if uuids else None,
                 color="#c9302c" if info.errors else None, description=self.tr("检查发现问题的户"))
        self.checks_state.setText(self.tr("数据已修改，结果可能已过期") if self._problems_stale else "")

    # ----- actions ----------------------------------------------------------------------
    def run_checks(self) -> None:
        """Run the data-quality checks (desktop.core.checks) with progress and cancel."""
        if dashboard.checks_module() is None:
            QMessageBox.information(self, self.tr("数据检查"), self.tr("未运行检查：检查功能尚未安装。"))
            return
        database, scope = self.database, self.scope()

        def work(progress: Progress) -> tuple[list[Any], dashboard.ChecksInfo]:
            module = dashboard.checks_module()
            with database.session() as session:
                problems = list(module.run_checks(session, township_code=None, progress=progress))
                return problems, dashboard.problems_chart(session, scope, problems, module)

        def done(result: tuple[list[Any], dashboard.ChecksInfo]) -> None:
            self._problems, self.checks = result
            self._problems_stale = False
            self._show_checks()
            self.checks_finished.emit()

        def failed(exc: BaseException) -> None:
            self.checks_state.setText(self.tr("检查出错：%1").replace("%1", str(exc)))
            QMessageBox.warning(self, self.tr("数据检查"), self.tr("检查出错：%1").replace("%1", str(exc)))

        self.checks_state.setText(self.tr("正在检查…"))
        run_task(self, self.tr("数据检查"), work, done, failed)

    def _kpi_activated(self, card: KpiCard) -> None:
        if card.filters is not None:
            self.open_households(card.filters, card.description)

    def open_households(self, filters: dict[str, Any], description: str = "") -> None:
        """Show the households behind a chart item: the main window's list if it has one."""
        filters = dict(filters)
        self.households_requested.emit(filters)
        window = self.main_window
        if window is not None and hasattr(window, "show_households"):
            window.show_households(filters)
            return
        dialog = HouseholdListDialog(self.database, filters, description,
                                     open_household=getattr(window, "open_household", None), parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.destroyed.connect(lambda *_: setattr(self, "last_dialog", None))
        self.last_dialog = dialog
        dialog.show()

    def render_page(self, scale: float = 1.0) -> QImage:
        image = QImage(int(self.width() * scale), int(self.height() * scale), QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(QColor("white"))
        painter = QPainter(image)
        try:
            self.render(painter, QPoint())
        finally:
            painter.end()
        return image

    def save_page_png(self, path: str | None = None) -> Any:
        if path is None:
            from pathlib import Path

            chosen, _ = QFileDialog.getSaveFileName(self, self.tr("整页存为图片"), str(Path.home() / "概况仪表盘.png"),
                                                    self.tr("PNG 图片 (*.png)"))
            if not chosen:
                return None
            path = chosen
        from pathlib import Path

        target = Path(path)
        if target.suffix.lower() != ".png":
            target = target.with_suffix(".png")
        return save_image_atomically(self.render_page(2.0), target, self)

    def copy_page(self) -> None:
        QGuiApplication.clipboard().setImage(self.render_page(2.0))
