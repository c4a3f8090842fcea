"""The dashboard tab: it shows the numbers, clicking a bar opens the households behind it,
keyboard paths work, charts copy and save as PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QTabWidget
from sqlalchemy import select

from db.models import Household
from desktop.core import dashboard as d
from desktop.ui.dashboard import BarChart, DashboardTab, DonutChart
from desktop.ui.dashboard.household_dialog import HouseholdListDialog
from tests.backends import raw_rows

ROOT = Path(__file__).resolve().parents[3]


def raw(db, sql: str, *args) -> list[tuple]:
    return raw_rows(db, sql, *args)


@pytest.fixture
def tab(qtbot, demo_db):
    widget = DashboardTab(demo_db)
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    with qtbot.waitSignal(widget.refreshed, timeout=20000):
        widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_item(qtbot, chart, item) -> None:
    chart.refresh_hits()
    point = chart.item_point(item)
    assert point is not None, item
    assert chart.hit_at(point) == item
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=point.toPoint())


def wait_dialog(qtbot, tab: DashboardTab) -> HouseholdListDialog:
    qtbot.waitUntil(lambda: tab.last_dialog is not None and tab.last_dialog.loaded, timeout=10000)
    return tab.last_dialog


def test_tab_shows_the_numbers(tab, demo_db) -> None:
    poor = raw(demo_db, "SELECT COUNT(*) FROM household WHERE exit_status IN ('未脱贫','预脱贫','返贫')")[0][0]
    people = raw(demo_db, "SELECT COUNT(*) FROM member WHERE status <> '自然减少'")[0][0]
    assert tab.kpi["all"].value.text() == "300 户"
    assert tab.kpi["all"].detail.text() == f"{people:,} 人"
    assert tab.kpi["poor"].value.text() == f"{poor} 户"
    assert tab.kpi["checks"].value.text() == "未运行"
    for key, chart in tab.charts.items():
        if key != "checks":
            assert chart.data is not None and not chart.data.empty, key
    assert tab.charts["causes"].data.as_dict() == tab.overview.causes.as_dict()
    assert tab.charts["share"].data.categories == list(tab.overview.totals.by_status)
    assert "统计用时" in tab.status_label.text()
    assert tab.year() == 2017
    # the chart really painted something in the status colours
    image = tab.charts["causes"].grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert "#d9534f" in colours and "#4caf50" in colours


def test_clicking_a_bar_opens_the_households_behind_it(qtbot, tab, demo_db) -> None:
    chart = tab.charts["causes"]
    c = chart.data.categories.index("因病")
    s = next(i for i, se in enumerate(chart.data.series) if se.name == "未脱贫")
    with qtbot.waitSignal(tab.households_requested) as blocker:
        click_item(qtbot, chart, (c, s))
    assert blocker.args[0] == {"main_cause": "因病", "exit_status": "未脱贫"}
    dialog = wait_dialog(qtbot, tab)
    expected = raw(demo_db, "SELECT uuid FROM household WHERE main_cause = '因病' AND exit_status = '未脱贫'")
    assert sorted(dialog.uuids()) == sorted(u for (u,) in expected)
    assert dialog.model.rowCount() == chart.data.series[s].values[c] > 0
    assert f"共 {len(expected)} 户" in dialog.count_label.text()
    dialog.close()


def test_show_households_on_the_window_is_used_when_present(qtbot, demo_db) -> None:
    calls: list[dict] = []
    window = SimpleNamespace(show_households=lambda filters: calls.append(filters))
    widget = DashboardTab(demo_db, window)
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    with qtbot.waitSignal(widget.refreshed, timeout=20000):
        widget.show()
    chart = widget.charts["exits"]
    year = chart.data.categories.index("2017")
    click_item(qtbot, chart, (year, 1))  # the plan line's point
    assert calls == [{"planned_exit_year": 2017}]
    widget.kpi["visits"].setFocus()
    qtbot.keyClick(widget.kpi["visits"], Qt.Key.Key_Return)
    info = widget.overview.visit_info
    assert calls[-1] == {"visit_as_of": info.as_of.isoformat(), "not_visited_days": 90}
    assert widget.last_dialog is None


def test_keyboard_selects_and_opens_copy_and_save(qtbot, tab, tmp_path: Path) -> None:
    chart = tab.charts["share"]
    chart.setFocus()
    qtbot.waitUntil(chart.hasFocus)
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    assert chart.selected() == (1, 0)
    with qtbot.waitSignal(chart.activated) as blocker:
        qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert blocker.args[0] == {"exit_status": chart.data.categories[1]}
    wait_dialog(qtbot, tab).close()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(chart, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().image()
    assert not copied.isNull() and copied.width() >= chart.width()
    target = tmp_path / "图表"
    saved = chart.save_png(target)
    assert saved == tmp_path / "图表.png" and saved.exists()
    image = QImage(str(saved))
    assert image.width() == chart.width() * 2
    assert not list(tmp_path.glob(".~*"))  # no temporary left behind
    page = tab.save_page_png(str(tmp_path / "page.png"))
    assert QImage(str(page)).width() == tab.width() * 2


def test_village_filter_and_donut_toggle(qtbot, tab, demo_db) -> None:
    village_uuid, vid = raw(demo_db, "SELECT uuid, id FROM village LIMIT 1")[0]
    n = raw(demo_db, "SELECT COUNT(*) FROM household WHERE village_id = ?", vid)[0][0]
    with qtbot.waitSignal(tab.refreshed, timeout=20000):
        tab.select_village(village_uuid)
    assert tab.scope().village_uuid == village_uuid
    assert tab.kpi["all"].value.text() == f"{n} 户"
    assert tab.charts["area"].data.title == "各村民小组户数"
    assert all("group_uuid" in f for f in tab.charts["area"].data.category_filters)
    tab.share_buttons[1].click()
    assert tab.charts["share"].data.key == "attribute"
    chart = tab.charts["share"]
    with qtbot.waitSignal(tab.households_requested) as blocker:
        click_item(qtbot, chart, chart.items()[0])
    assert blocker.args[0] == {"village_uuid": village_uuid, "attribute": chart.data.categories[0]}
    wait_dialog(qtbot, tab).close()


def test_year_and_visit_days_change_the_numbers(qtbot, tab) -> None:
    with qtbot.waitSignal(tab.refreshed, timeout=20000):
        tab.days_spin.setValue(30)
    assert tab.overview.visit_info.days == 30
    assert tab.kpi["visits"].caption.text() == "近30天未走访"
    with qtbot.waitSignal(tab.refreshed, timeout=20000):
        tab.year_combo.setCurrentIndex(tab.year_combo.findData(2016))
    assert tab.overview.year == 2016
    assert tab.charts["measures"].data.empty  # the demo has measures for 2017 only
    assert tab.charts["measures"].message == "2016年没有帮扶措施记录"
    with qtbot.waitSignal(tab.refreshed, timeout=20000):
        tab.reference_combo.setCurrentIndex(1)  # today: everybody is long unvisited
    assert tab.overview.visit_info.not_visited == 300


def test_checks_run_on_demand(qtbot, tab, monkeypatch) -> None:
    with tab.database.session() as s:
        uuid = s.scalar(select(Household.uuid).limit(1))
    problem = SimpleNamespace(rule_id="ID01", severity="错误", household_uuid=uuid, member_uuid=None,
                              entity_uuid=uuid, title="身份证号码校验位错误", acknowledged=False)
    fake = SimpleNamespace(run_checks=lambda session, township_code=None, progress=None: [problem], RULES={})
    monkeypatch.setattr(d, "checks_module", lambda: fake)
    tab.checks_button.setEnabled(True)
    with qtbot.waitSignal(tab.checks_finished, timeout=20000):
        tab.checks_button.click()
    assert tab.kpi["checks"].value.text() == "错误 1 · 警告 0"
    chart = tab.charts["checks"]
    assert chart.data.categories == ["ID01 身份证号码校验位错误"]
    with qtbot.waitSignal(tab.households_requested) as blocker:
        click_item(qtbot, chart, (0, 0))
    assert blocker.args[0] == {"household_uuids": [uuid]}
    assert wait_dialog(qtbot, tab).uuids() == [uuid]
    tab.last_dialog.close()


def test_checks_not_installed_say_so(qtbot, demo_db, monkeypatch) -> None:
    monkeypatch.setattr(d, "checks_module", lambda: None)
    widget = DashboardTab(demo_db)
    qtbot.addWidget(widget)
    assert not widget.checks_button.isEnabled()
    assert "未运行检查" in widget.charts["checks"].message


def test_installed_as_first_and_current_tab(qtbot, demo_db) -> None:
    from desktop.ui.main_window import MainWindow

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tabs = window.findChild(QTabWidget)
    dash = window.dashboard
    assert tabs.tabText(tabs.indexOf(dash)) == "概况仪表盘"
    assert tabs.indexOf(dash) == 0 and tabs.currentWidget() is dash
    with qtbot.waitSignal(dash.refreshed, timeout=20000):
        window.show()
    with qtbot.waitSignal(dash.refreshed, timeout=20000):
        window.households_changed.emit()


def _many(n: int) -> d.ChartData:
    return d.ChartData(key="many", title="很多村", categories=[f"第{i}村" for i in range(n)],
                       category_filters=[{"village_uuid": f"u{i}"} for i in range(n)],
                       series=[d.Series(name="未脱贫", values=[float(n - i) for i in range(n)],
                                        filters={"exit_status": "未脱贫"}),
                               d.Series(name="已脱贫（享受政策）", values=[1.0] * n,
                                        filters={"exit_status": "已脱贫（享受政策）"})],
                       stacked=True)


def test_horizontal_chart_scrolls_and_exports_every_row(qtbot) -> None:
    chart = BarChart(horizontal=True)
    qtbot.addWidget(chart)
    chart.resize(320, 260)
    chart.set_data(_many(60))
    chart.show()
    qtbot.waitExposed(chart)
    chart.refresh_hits()
    assert 0 < chart._visible_rows < 60
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_End)
    assert chart.selected() == (59, 1)
    assert chart._offset == 60 - chart._visible_rows
    point = chart.item_point((59, 1))
    assert point is not None and chart.rect().contains(point.toPoint())
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart._offset == 0
    # Up/Down go from village to village, Left/Right between a village's segments
    assert chart.selected() == (0, None)
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert chart.selected() == (1, None)
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    assert chart.selected() == (1, 0)
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    qtbot.keyClick(chart, Qt.Key.Key_Down)
    assert chart.selected() == (3, 0)
    qtbot.keyClick(chart, Qt.Key.Key_PageDown)
    assert chart.selected()[0] == 8
    assert chart.render_image(1.0).height() > 60 * 12 > chart.height()
    # clicking the category label selects the whole village (both series)
    chart.refresh_hits()
    label = chart.item_point((0, None))
    with qtbot.waitSignal(chart.activated) as blocker:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=label.toPoint())
    assert blocker.args[0] == {"village_uuid": "u0"}


def test_hover_shows_and_empty_chart_paints_message(qtbot) -> None:
    chart = DonutChart()
    qtbot.addWidget(chart)
    chart.resize(320, 240)
    chart.set_message("正在统计…", "户数构成")
    chart.show()
    qtbot.waitExposed(chart)
    assert chart.items() == []
    chart.set_data(d.ChartData(key="s", title="脱贫状态", categories=["未脱贫", "预脱贫"],
                               category_filters=[{"exit_status": "未脱贫"}, {"exit_status": "预脱贫"}],
                               series=[d.Series(name="户数", values=[3.0, 1.0])], details=["3户 9人", "1户 2人"]))
    chart.refresh_hits()
    point = chart.item_point((0, 0))
    assert chart.hit_at(point) == (0, 0)
    qtbot.mouseMove(chart, point.toPoint())
    qtbot.waitUntil(lambda: chart._hover == (0, 0))
    assert chart.describe((0, 0)) == "未脱贫：3户（3户 9人）"
    assert chart.hit_at(QPointF(1, 1)) is None
    qtbot.mouseMove(chart, QPoint(1, 1))


def test_refcount_guard_keeps_long_painting_alive() -> None:
    """PySide6 6.12 on Python 3.11 loses a reference to None per void call: without the
    guard a long loop aborts the interpreter; with it the loop finishes."""
    loop = ("from PySide6.QtGui import QImage, QPainter, QColor\n"
            "img = QImage(4, 4, QImage.Format.Format_ARGB32); p = QPainter(img)\n"
            "for _ in range(60000): p.setPen(QColor('red'))\n"
            "p.end(); print('survived')\n")
    guarded = subprocess.run([sys.executable, "-c", "import desktop.ui\n" + loop], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert guarded.returncode == 0 and "survived" in guarded.stdout, guarded.stderr[-500:]
    from desktop.ui import qtrefs

    if sys.version_info < (3, 12) and qtrefs._installed:
        bare = subprocess.run([sys.executable, "-c", loop], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert bare.returncode != 0  # the bug is real here, so the guard matters
