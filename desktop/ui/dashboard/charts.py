"""Small chart widgets drawn with QPainter (no QtCharts): bars (vertical or horizontal,
stacked or grouped, with an optional line series) and a donut.

Every chart shows a :class:`desktop.core.dashboard.ChartData`. Clicking a bar, a
slice, a legend row or a category label emits ``activated(filters, description)``
with the household filters behind it. Keyboard: arrows / Home / End / PageUp /
PageDown move the selection, Enter or Space opens it, Ctrl+C copies the chart,
Ctrl+S saves it as PNG, the Menu key or Shift+F10 opens the context menu.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QToolTip, QWidget

from desktop.core.dashboard import ChartData

STATUS_COLORS = {
    "未脱贫": "#d9534f",
    "预脱贫": "#f0ad4e",
    "返贫": "#8e2c2c",
    "已脱贫（享受政策）": "#4caf50",
    "已脱贫（不再享受政策）": "#2e7d6b",
    "未填": "#9e9e9e",
}
SERIES_COLORS = {
    "错误": "#d9534f",
    "警告": "#f0ad4e",
    "实际脱贫": "#4caf50",
    "计划脱贫": "#1f5fa8",
    "资金": "#3c7dc4",
    "户数": "#3c7dc4",
}
PALETTE = ("#3c7dc4", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#edc948", "#ff9da7",
           "#9c755f", "#bab0ac")
TEXT = QColor("#222222")
MUTED = QColor("#666666")
GRID = QColor("#e3e3e3")
SELECT = QColor("#111111")
EMPTY_TEXT = "暂无数据"


def series_color(name: str, index: int) -> QColor:
    return QColor(STATUS_COLORS.get(name) or SERIES_COLORS.get(name) or PALETTE[index % len(PALETTE)])


def category_color(name: str, index: int) -> QColor:
    """Donut slices: status colours where they apply, else the palette."""
    return QColor(STATUS_COLORS.get(name) or PALETTE[index % len(PALETTE)])


def format_value(value: float, unit: str) -> str:
    if unit == "元":
        if abs(value) >= 1e8:
            return f"{value / 1e8:.2f}亿"
        if abs(value) >= 1e4:
            return f"{value / 1e4:.1f}万"
        return f"{value:,.0f}"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def nice_max(value: float) -> tuple[float, float]:
    """A round axis maximum ≥ value and its tick step (about four ticks)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step >= raw:
            break
    top = math.ceil(value / step) * step
    return float(top), float(step)


@dataclass
class _Hit:
    path: QPainterPath
    category: int
    series: int | None  # None: the whole category
    anchor: QPointF | None = None  # a point inside (the bounding box centre of a donut slice may not be)


class ChartWidget(QWidget):
    """Base class: title, legend, note, hit-testing, selection, tooltips, copy and save.

    Signals:
        activated(object, str): the filters (a dict) behind the clicked/entered item and a
            description. (``object``, not ``dict``: see desktop/ui/qtrefs.py.)
    """

    activated = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: ChartData | None = None
        self.message = EMPTY_TEXT
        self.placeholder_title = ""
        self._hits: list[_Hit] = []
        self._hover: tuple[int, int | None] | None = None
        self._selected: tuple[int, int | None] | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(QSize(220, 170))
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    # ----- data -----------------------------------------------------------
    def set_data(self, data: ChartData | None, message: str = EMPTY_TEXT) -> None:
        self.data = data
        self.message = message
        if data is not None:
            self.placeholder_title = data.title
        items = self.items()
        if self._selected not in items:
            self._selected = None
        self._hover = None
        self.setAccessibleName(data.title if data is not None else self.placeholder_title)
        self.update()

    def set_message(self, message: str, title: str | None = None) -> None:
        if title is not None:
            self.placeholder_title = title
        self.set_data(None, message)

    def items(self) -> list[tuple[int, int | None]]:
        """Selectable items in keyboard order."""
        d = self.data
        if d is None or d.empty:
            return []
        result: list[tuple[int, int | None]] = []
        several = len(d.series) > 1
        for c in range(len(d.categories)):
            if several:
                result.append((c, None))
            for s, series in enumerate(d.series):
                if series.values[c] or series.kind == "line":
                    result.append((c, s))
        return result

    def describe(self, item: tuple[int, int | None]) -> str:
        d = self.data
        assert d is not None
        c, s = item
        name = d.categories[c]
        if s is None:
            text = f"{name}：{format_value(d.category_total(c), d.unit)}{d.unit}"
        elif len(d.series) == 1:
            text = f"{name}：{format_value(d.series[s].values[c], d.unit)}{d.unit}"
        else:
            text = f"{name} · {d.series[s].name}：{format_value(d.series[s].values[c], d.unit)}{d.unit}"
        if c < len(d.details) and d.details[c]:
            text += f"（{d.details[c]}）" if s is None or len(d.series) == 1 else f"｜{d.details[c]}"
        return text

    def filters(self, item: tuple[int, int | None]) -> dict[str, Any]:
        assert self.data is not None
        return self.data.filters_for(item[0], item[1])

    def activate(self, item: tuple[int, int | None]) -> None:
        if self.data is None:
            return
        self._selected = item
        self.update()
        self.activated.emit(self.filters(item), f"{self.data.title}：{self.describe(item)}")

    # ----- layout helpers ---------------------------------------------------
    def title_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(max(9.0, self.font().pointSizeF() + 0.5))
        return font

    def small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, self.font().pointSizeF() - 1))
        return font

    def _title(self) -> str:
        return self.data.title if self.data is not None else self.placeholder_title

    def _paint_frame(self, p: QPainter, rect: QRectF, export: bool) -> QRectF:
        """Background, title, legend and note; returns the plot rectangle."""
        p.fillRect(rect, QColor("white"))
        if self.hasFocus() and not export:
            p.setPen(QPen(self.palette().highlight().color(), 2))
            p.drawRect(rect.adjusted(1, 1, -1, -1))
        inner = rect.adjusted(8, 6, -8, -6)
        p.setFont(self.title_font())
        fm = QFontMetricsF(p.font())
        p.setPen(TEXT)
        title = fm.elidedText(self._title(), Qt.TextElideMode.ElideRight, inner.width())
        p.drawText(QRectF(inner.left(), inner.top(), inner.width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        top = inner.top() + fm.height() + 4
        bottom = inner.bottom()
        d = self.data
        p.setFont(self.small_font())
        sfm = QFontMetricsF(p.font())
        if d is not None and d.note:
            flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
            box = sfm.boundingRect(QRectF(0, 0, inner.width(), 1000), flags, d.note)
            height = min(box.height(), sfm.height() * 2 + 1)
            p.setPen(MUTED)
            p.drawText(QRectF(inner.left(), bottom - height, inner.width(), height), flags, d.note)
            bottom -= height + 3
        if d is not None and self.show_legend():
            top = self._paint_legend(p, QRectF(inner.left(), top, inner.width(), 0), sfm) + 2
        return QRectF(inner.left(), top, inner.width(), max(10.0, bottom - top))

    def show_legend(self) -> bool:
        return self.data is not None and len(self.data.series) > 1

    def _paint_legend(self, p: QPainter, rect: QRectF, fm: QFontMetricsF) -> float:
        assert self.data is not None
        x, y = rect.left(), rect.top()
        h = fm.height()
        for i, series in enumerate(self.data.series):
            w = 14 + fm.horizontalAdvance(series.name) + 12
            if x + w > rect.right() and x > rect.left():
                x = rect.left()
                y += h + 2
            color = series_color(series.name, i)
            if series.kind == "line":
                p.setPen(QPen(color, 2))
                p.drawLine(QPointF(x, y + h / 2), QPointF(x + 10, y + h / 2))
                p.setBrush(color)
                p.drawEllipse(QPointF(x + 5, y + h / 2), 2.5, 2.5)
            else:
                p.fillRect(QRectF(x, y + h / 2 - 5, 10, 10), color)
            p.setPen(TEXT)
            p.drawText(QRectF(x + 14, y, w, h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       series.name)
            x += w
        return y + h

    def _paint_message(self, p: QPainter, rect: QRectF) -> None:
        p.setFont(self.font())
        p.setPen(MUTED)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)

    # ----- painting -----------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._hits = []
        plot = self._paint_frame(p, QRectF(self.rect()), export=False)
        if self.data is None or self.data.empty:
            self._paint_message(p, plot)
        else:
            self.paint_plot(p, plot, export=False)
        p.end()

    def paint_plot(self, p: QPainter, rect: QRectF, export: bool) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def export_height(self) -> int:
        return self.height()

    def render_image(self, scale: float = 2.0) -> QImage:
        """The whole chart (every row, even those scrolled out of view) as an image."""
        size = QSize(max(self.width(), 320), max(self.export_height(), 200))
        image = QImage(int(size.width() * scale), int(size.height() * scale), QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(QColor("white"))
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        hits, self._hits = self._hits, []
        plot = self._paint_frame(p, QRectF(0, 0, size.width(), size.height()), export=True)
        if self.data is None or self.data.empty:
            self._paint_message(p, plot)
        else:
            self.paint_plot(p, plot, export=True)
        p.end()
        self._hits = hits
        return image

    # ----- hit testing, mouse, keyboard ---------------------------------------------
    def add_hit(self, path: QPainterPath, category: int, series: int | None, export: bool,
                anchor: QPointF | None = None) -> None:
        if not export:
            self._hits.append(_Hit(path, category, series, anchor))

    def refresh_hits(self) -> None:
        """Lay the chart out now (on a scratch image) so hit areas match the current state."""
        image = QImage(max(1, self.width()), max(1, self.height()), QImage.Format.Format_ARGB32)
        p = QPainter(image)
        self._hits = []
        plot = self._paint_frame(p, QRectF(self.rect()), export=False)
        if self.data is not None and not self.data.empty:
            self.paint_plot(p, plot, export=False)
        p.end()

    def hit_at(self, pos: QPointF) -> tuple[int, int | None] | None:
        for hit in reversed(self._hits):
            if hit.path.contains(pos):
                return hit.category, hit.series
        return None

    def item_rect(self, item: tuple[int, int | None]) -> QRectF | None:
        for hit in self._hits:
            if (hit.category, hit.series) == item:
                return hit.path.boundingRect()
        return None

    def item_point(self, item: tuple[int, int | None]) -> QPointF | None:
        """A point on the item (for tooltips, menus and tests); None when it is not shown."""
        for hit in self._hits:
            if (hit.category, hit.series) == item:
                return hit.anchor if hit.anchor is not None else hit.path.boundingRect().center()
        return None

    def is_highlighted(self, category: int, series: int | None) -> bool:
        return (category, series) in (self._hover, self._selected) or \
            (series is not None and (category, None) in (self._hover, self._selected))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        item = self.hit_at(event.position())
        if item != self._hover:
            self._hover = item
            self.setCursor(Qt.CursorShape.PointingHandCursor if item else Qt.CursorShape.ArrowCursor)
            self.update()
            if item is not None:
                QToolTip.showText(event.globalPosition().toPoint(), self.describe(item) + "\n单击：查看这些户", self)
            else:
                QToolTip.hideText()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        if self._hover is not None:
            self._hover = None
            self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.LeftButton:
            item = self.hit_at(event.position())
            if item is not None:
                self.activate(item)
                return
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        # Our Ctrl+C / Ctrl+S win over window-wide shortcuts while the chart has focus.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.matches(QKeySequence.StandardKey.Copy) or event.matches(QKeySequence.StandardKey.Save):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_to_clipboard()
            return
        if event.matches(QKeySequence.StandardKey.Save):
            self.save_png()
            return
        key = event.key()
        if key == Qt.Key.Key_F10 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._show_menu(self._selection_point())
            return
        items = self.items()
        if not items:
            super().keyPressEvent(event)
            return
        index = items.index(self._selected) if self._selected in items else -1
        across, within = self.arrow_keys()
        if key in across and index >= 0:
            index = self._other_category(items, index, 1 if key == across[1] else -1)
        elif key in within or key in across:
            step = 1 if key in (within[1], across[1]) else -1
            index = max(0, min(len(items) - 1, index + step)) if index >= 0 else 0
        elif key == Qt.Key.Key_Home:
            index = 0
        elif key == Qt.Key.Key_End:
            index = len(items) - 1
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            current = items[index][0] if index >= 0 else -1
            step = 1 if key == Qt.Key.Key_PageDown else -1
            target = max(0, min(len(self.data.categories) - 1, current + step * 5))  # type: ignore[union-attr]
            index = next(i for i, it in enumerate(items) if it[0] == target)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if index >= 0:
                self.activate(items[index])
            return
        else:
            super().keyPressEvent(event)
            return
        self.select(items[index])

    def arrow_keys(self) -> tuple[tuple[Qt.Key, Qt.Key], tuple[Qt.Key, Qt.Key]]:
        """(previous, next) category keys and (previous, next) keys within a category."""
        return (Qt.Key.Key_Left, Qt.Key.Key_Right), (Qt.Key.Key_Down, Qt.Key.Key_Up)

    @staticmethod
    def _other_category(items: list[tuple[int, int | None]], index: int, step: int) -> int:
        """The same series in the previous/next category that has items (or its first item)."""
        category, series = items[index]
        categories = sorted({c for c, _s in items})
        position = categories.index(category) + step
        if not 0 <= position < len(categories):
            return index
        target = categories[position]
        same = [i for i, it in enumerate(items) if it == (target, series)]
        return same[0] if same else next(i for i, it in enumerate(items) if it[0] == target)

    def select(self, item: tuple[int, int | None]) -> None:
        self._selected = item
        self.ensure_visible(item[0])
        self.refresh_hits()
        self.update()
        point = self.item_point(item)
        if point is not None and self.isVisible():
            QToolTip.showText(self.mapToGlobal(point.toPoint()), self.describe(item), self)

    def selected(self) -> tuple[int, int | None] | None:
        return self._selected

    def ensure_visible(self, category: int) -> None:
        """Scroll so that ``category`` shows (charts that scroll override this)."""

    def _selection_point(self) -> QPointF:
        point = self.item_point(self._selected) if self._selected else None
        return point if point is not None else QPointF(self.width() / 2, self.height() / 2)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            item = self.hit_at(QPointF(event.pos()))
            if item is not None:
                self._selected = item
                self.update()
            self._show_menu(QPointF(event.pos()))
        else:
            self._show_menu(self._selection_point())

    def _show_menu(self, pos: QPointF) -> None:
        menu = QMenu(self)
        item = self._selected
        open_action = menu.addAction(self.tr("查看这些户(&O)"))
        open_action.setShortcut(QKeySequence(Qt.Key.Key_Return))
        open_action.setEnabled(item is not None and self.data is not None)
        if item is not None and self.data is not None:
            open_action.triggered.connect(lambda: self.activate(item))
        menu.addSeparator()
        copy_action = menu.addAction(self.tr("复制图表(&C)"))
        copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        copy_action.triggered.connect(self.copy_to_clipboard)
        save_action = menu.addAction(self.tr("另存为 PNG 图片(&S)…"))
        save_action.setShortcut(QKeySequence.StandardKey.Save)
        save_action.triggered.connect(self.save_png)
        menu.exec(self.mapToGlobal(pos.toPoint()))

    # ----- copy / save ---------------------------------------------------
    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setImage(self.render_image())

    def default_file_name(self) -> str:
        title = self._title() or "图表"
        safe = "".join(ch for ch in title if ch not in '\\/:*?"<>|（）() ').strip() or "图表"
        return f"{safe}.png"

    def save_png(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Save as PNG (asks for a file name when ``path`` is None); written atomically."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, self.tr("另存为 PNG 图片"),
                                                    str(Path.home() / self.default_file_name()),
                                                    self.tr("PNG 图片 (*.png)"))
            if not chosen:
                return None
            path = chosen
        target = Path(path)
        if target.suffix.lower() != ".png":
            target = target.with_suffix(".png")
        return save_image_atomically(self.render_image(), target, self)


def save_image_atomically(image: QImage, target: Path, parent: QWidget | None = None) -> Path | None:
    """Write ``image`` as PNG through a temporary file in the same folder and os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".png", dir=str(target.parent))
    os.close(fd)
    try:
        if not image.save(tmp, "PNG"):
            raise OSError("无法写入 PNG 文件")
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if parent is not None:
            QMessageBox.warning(parent, parent.tr("保存失败"),
                                parent.tr("无法保存图片“%1”：%2").replace("%1", str(target)).replace("%2", str(exc)))
            return None
        raise
    return target


class BarChart(ChartWidget):
    """Bars per category: vertical (categories along the bottom) or horizontal (categories
    down the left, scrolling when they do not fit); stacked or grouped; series of kind
    "line" are drawn as a line with markers over vertical bars."""

    ROW_GAP = 3

    def __init__(self, horizontal: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.horizontal = horizontal
        self._offset = 0  # first visible row (horizontal charts that scroll)
        self._visible_rows = 0

    def set_data(self, data: ChartData | None, message: str = EMPTY_TEXT) -> None:
        self._offset = 0
        super().set_data(data, message)

    def arrow_keys(self) -> tuple[tuple[Qt.Key, Qt.Key], tuple[Qt.Key, Qt.Key]]:
        if self.horizontal:
            return (Qt.Key.Key_Up, Qt.Key.Key_Down), (Qt.Key.Key_Left, Qt.Key.Key_Right)
        return super().arrow_keys()

    # ----- horizontal -------------------------------------------------------
    def _row_height(self) -> float:
        return QFontMetricsF(self.small_font()).height() + self.ROW_GAP + 2

    def export_height(self) -> int:
        if not self.horizontal or self.data is None:
            return self.height()
        extra = self.height() - self._plot_height_estimate()
        return int(max(self.height(), extra + self._row_height() * len(self.data.categories) + 4))

    def _plot_height_estimate(self) -> float:
        image = QImage(1, 1, QImage.Format.Format_ARGB32)
        p = QPainter(image)
        rect = self._paint_frame(p, QRectF(0, 0, self.width(), self.height()), export=True)
        p.end()
        return rect.height()

    def ensure_visible(self, category: int) -> None:
        if not self.horizontal or self._visible_rows <= 0:
            return
        if category < self._offset:
            self._offset = category
        elif category >= self._offset + self._visible_rows:
            self._offset = category - self._visible_rows + 1

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self.horizontal and self.data is not None and len(self.data.categories) > self._visible_rows > 0:
            steps = -event.angleDelta().y() // 40 or (1 if event.angleDelta().y() < 0 else -1)
            limit = len(self.data.categories) - self._visible_rows
            self._offset = max(0, min(limit, self._offset + int(steps)))
            self.update()
            event.accept()
            return
        super().wheelEvent(event)

    def _paint_horizontal(self, p: QPainter, rect: QRectF, export: bool) -> None:
        d = self.data
        assert d is not None
        p.setFont(self.small_font())
        fm = QFontMetricsF(p.font())
        n = len(d.categories)
        row_min = self._row_height()
        if export and n * row_min > rect.height():
            row_h, first, count = row_min, 0, n  # every row, the image grows (export_height)
        elif export:
            row_h, first, count = min(rect.height() / n, row_min * 2.2), 0, n
        else:
            fits = max(1, int(rect.height() // row_min))
            if n <= fits:
                row_h, first, count = min(rect.height() / n, row_min * 2.2), 0, n
            else:
                fits = max(1, int((rect.height() - fm.height()) // row_min))  # a line for "1–12 / 333"
                row_h, count = row_min, fits
                self._offset = max(0, min(self._offset, n - fits))
                first = self._offset
            self._visible_rows = count
        bars = [s for s in d.series if s.kind == "bar"]
        totals = [sum(s.values[c] for s in bars) for c in range(n)] if d.stacked else \
            [max((s.values[c] for s in bars), default=0) for c in range(n)]
        top_value = max(totals) if totals else 0
        label_w = min(max((fm.horizontalAdvance(c) for c in d.categories), default=0) + 6, rect.width() * 0.38)
        value_w = max((fm.horizontalAdvance(format_value(v, d.unit)) for v in totals), default=0) + 6
        scroll_w = 6 if (not export and count < n) else 0
        x0 = rect.left() + label_w
        bar_w = max(10.0, rect.width() - label_w - value_w - scroll_w)
        for row in range(count):
            c = first + row
            y = rect.top() + row * row_h
            label_rect = QRectF(rect.left(), y, label_w - 6, row_h)
            p.setPen(SELECT if self.is_highlighted(c, None) else TEXT)
            text = d.categories[c]
            wrap = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
            box = QRectF(0, 0, label_w - 6, 10_000)
            if row_h >= 1.8 * fm.height() and fm.horizontalAdvance(text) > label_w - 6:
                # tall rows: wrap, shortening with "…" until it fits the row
                shown = text
                while len(shown) > 2 and fm.boundingRect(box, wrap, shown).height() > row_h:
                    shown = shown[:-2] + "…"
                p.drawText(label_rect, wrap, shown)
            else:
                p.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           fm.elidedText(text, Qt.TextElideMode.ElideRight, label_w - 6))
            path = QPainterPath()
            path.addRect(QRectF(rect.left(), y, label_w, row_h))
            self.add_hit(path, c, None if len(d.series) > 1 else 0, export)
            bar_h = max(4.0, row_h - self.ROW_GAP - 2)
            by = y + (row_h - bar_h) / 2
            x = x0
            visible_series = [i for i, s in enumerate(d.series) if s.kind == "bar"]
            for k, si in enumerate(visible_series):
                value = d.series[si].values[c]
                if not d.stacked:
                    x = x0
                    sub_h = bar_h / len(visible_series)
                    seg_y, seg_h = by + k * sub_h, sub_h
                else:
                    seg_y, seg_h = by, bar_h
                w = bar_w * value / top_value if top_value else 0
                if value and w < 1:
                    w = 1
                seg = QRectF(x, seg_y, w, seg_h)
                color = series_color(d.series[si].name, si)
                if self.is_highlighted(c, si):
                    color = color.darker(125)
                p.fillRect(seg, color)
                if (c, si) == self._selected and not export:
                    p.setPen(QPen(SELECT, 1.5))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(seg.adjusted(0.5, 0.5, -0.5, -0.5))
                if value:
                    hit = QPainterPath()
                    hit.addRect(seg.adjusted(0, -1, 0, 1))
                    self.add_hit(hit, c, si, export)
                if d.stacked:
                    x += w
            end = x0 + bar_w * totals[c] / top_value if top_value else x0
            p.setPen(MUTED)
            p.drawText(QRectF(end + 3, y, value_w + 4, row_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       format_value(totals[c], d.unit))
        if scroll_w:
            track = QRectF(rect.right() - 4, rect.top(), 4, count * row_h)
            p.fillRect(track, GRID)
            thumb_h = max(12.0, track.height() * count / n)
            thumb_y = track.top() + (track.height() - thumb_h) * (first / max(1, n - count))
            p.fillRect(QRectF(track.left(), thumb_y, 4, thumb_h), QColor("#9a9a9a"))
            p.setPen(MUTED)
            p.drawText(QRectF(rect.left(), rect.top() + count * row_h, rect.width(), rect.bottom()
                              - rect.top() - count * row_h + 2),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                       f"{first + 1}–{first + count} / {n}")

    # ----- vertical -----------------------------------------------------------
    def _paint_vertical(self, p: QPainter, rect: QRectF, export: bool) -> None:
        d = self.data
        assert d is not None
        p.setFont(self.small_font())
        fm = QFontMetricsF(p.font())
        n = len(d.categories)
        bars = [i for i, s in enumerate(d.series) if s.kind == "bar"]
        lines = [i for i, s in enumerate(d.series) if s.kind == "line"]
        stack = [sum(d.series[i].values[c] for i in bars) for c in range(n)] if d.stacked else \
            [max((d.series[i].values[c] for i in bars), default=0) for c in range(n)]
        peak = max(stack + [v for i in lines for v in d.series[i].values] + [0])
        top, step = nice_max(peak * 1.08 if peak else 1)
        axis_w = max(fm.horizontalAdvance(format_value(top, d.unit)), fm.horizontalAdvance("0")) + 6
        band = (rect.width() - axis_w) / max(1, n)
        # category labels: up to two lines
        label_h = fm.height() * (2 if any(fm.horizontalAdvance(c) > band - 2 for c in d.categories) else 1) + 4
        plot = QRectF(rect.left() + axis_w, rect.top() + fm.height() * 0.6, rect.width() - axis_w,
                      rect.height() - label_h - fm.height() * 0.6)
        if plot.height() < 20:
            plot.setHeight(20)

        def y_of(v: float) -> float:
            return plot.bottom() - plot.height() * v / top

        p.setPen(QPen(GRID, 1))
        tick = 0.0
        while tick <= top + step / 2:
            y = y_of(tick)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(MUTED)
            p.drawText(QRectF(rect.left(), y - fm.height() / 2, axis_w - 4, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, format_value(tick, d.unit))
            tick += step
        bar_total_w = band * (0.62 if len(bars) <= 1 or d.stacked else 0.8)
        for c in range(n):
            cx = plot.left() + band * (c + 0.5)
            base = plot.bottom()
            for k, si in enumerate(bars):
                value = d.series[si].values[c]
                if d.stacked:
                    h = plot.height() * value / top
                    seg = QRectF(cx - bar_total_w / 2, base - h, bar_total_w, h)
                    base -= h
                else:
                    sub = bar_total_w / len(bars)
                    h = plot.height() * value / top
                    seg = QRectF(cx - bar_total_w / 2 + k * sub, plot.bottom() - h, sub * 0.92, h)
                color = series_color(d.series[si].name, si)
                if self.is_highlighted(c, si):
                    color = color.darker(125)
                p.fillRect(seg, color)
                if (c, si) == self._selected and not export:
                    p.setPen(QPen(SELECT, 1.5))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawRect(seg.adjusted(0.5, 0.5, -0.5, -0.5))
                if value:
                    hit = QPainterPath()
                    hit.addRect(seg.adjusted(-1, -1, 1, 0))
                    self.add_hit(hit, c, si, export)
            # the stack total (or the single bar's value) above the bar; where a line point
            # (with its own label) is close, skip an equal value or put it inside when it fits
            if bars and n <= 12 and stack[c] and (d.stacked or len(bars) == 1):
                text = format_value(stack[c], d.unit)
                top_y = y_of(stack[c])
                near = [d.series[i].values[c] for i in lines if abs(y_of(d.series[i].values[c]) - top_y)
                        < fm.height() * 1.6]
                if not near:
                    p.setPen(MUTED if not lines else series_color(d.series[bars[0]].name, bars[0]).darker(150))
                    p.drawText(QRectF(cx - band / 2, top_y - fm.height() - 1, band, fm.height()),
                               Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, text)
                elif stack[c] not in near and fm.horizontalAdvance(text) < bar_total_w - 2 \
                        and plot.bottom() - top_y > fm.height() * 2.6:
                    p.setPen(QColor("white"))
                    p.drawText(QRectF(cx - band / 2, top_y + fm.height() * 1.2, band, fm.height()),
                               Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
            label_rect = QRectF(cx - band / 2 + 1, plot.bottom() + 2, band - 2, label_h)
            p.setPen(SELECT if self.is_highlighted(c, None) else TEXT)
            p.drawText(label_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       d.categories[c])
            path = QPainterPath()
            path.addRect(label_rect)
            self.add_hit(path, c, None if len(d.series) > 1 else 0, export)
        for si in lines:
            series = d.series[si]
            color = series_color(series.name, si)
            points = [QPointF(plot.left() + band * (c + 0.5), y_of(series.values[c])) for c in range(n)]
            p.setPen(QPen(color, 2))
            for a, b in zip(points, points[1:], strict=False):
                p.drawLine(a, b)
            for c, pt in enumerate(points):
                big = self.is_highlighted(c, si)
                p.setPen(QPen(QColor("white"), 1.5))
                p.setBrush(color.darker(130) if big else color)
                p.drawEllipse(pt, 5.5 if big else 4, 5.5 if big else 4)
                if (c, si) == self._selected and not export:
                    p.setPen(QPen(SELECT, 1.5))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawEllipse(pt, 7, 7)
                if n <= 12:
                    p.setPen(color.darker(120))
                    p.drawText(QRectF(pt.x() - band / 2, pt.y() - fm.height() - 5, band, fm.height()),
                               Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                               format_value(series.values[c], d.unit))
                hit = QPainterPath()
                hit.addEllipse(pt, 8, 8)
                self.add_hit(hit, c, si, export)
        p.setPen(QPen(MUTED, 1))
        p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))

    def paint_plot(self, p: QPainter, rect: QRectF, export: bool) -> None:
        if self.horizontal:
            self._paint_horizontal(p, rect, export)
        else:
            self._paint_vertical(p, rect, export)


class DonutChart(ChartWidget):
    """Shares of one series as a donut with a legend (label, value, share, details)."""

    def show_legend(self) -> bool:
        return False  # the donut draws its own legend beside it

    def items(self) -> list[tuple[int, int | None]]:
        d = self.data
        if d is None or d.empty:
            return []
        return [(c, 0) for c in range(len(d.categories)) if d.series[0].values[c]]

    def arrow_keys(self) -> tuple[tuple[Qt.Key, Qt.Key], tuple[Qt.Key, Qt.Key]]:
        return (Qt.Key.Key_Up, Qt.Key.Key_Down), (Qt.Key.Key_Left, Qt.Key.Key_Right)

    def paint_plot(self, p: QPainter, rect: QRectF, export: bool) -> None:
        d = self.data
        assert d is not None
        values = d.series[0].values
        total = sum(values)
        p.setFont(self.small_font())
        fm = QFontMetricsF(p.font())
        legend_rows = [(c, values[c]) for c in range(len(d.categories)) if values[c]]
        legend_w = 0.0
        for c, v in legend_rows:
            share = f"{v / total:.1%}" if total else ""
            line1 = f"{d.categories[c]}  {share}"
            line2 = d.details[c] if c < len(d.details) else format_value(v, d.unit)
            legend_w = max(legend_w, fm.horizontalAdvance(line1), fm.horizontalAdvance(line2))
        legend_w = min(legend_w + 18, rect.width() * 0.58)
        diameter = max(40.0, min(rect.height() - 4, rect.width() - legend_w - 12))
        circle = QRectF(rect.left() + 2, rect.top() + (rect.height() - diameter) / 2, diameter, diameter)
        hole = diameter * 0.56
        angle = 90.0
        for i, (c, v) in enumerate(legend_rows):
            span = -360.0 * v / total if total else 0
            color = category_color(d.categories[c], i)
            outer = circle
            if self.is_highlighted(c, 0):
                color = color.darker(120)
                outer = circle.adjusted(-3, -3, 3, 3)
            path = QPainterPath()
            path.arcMoveTo(outer, angle)
            path.arcTo(outer, angle, span)
            inner = QRectF(circle.center().x() - hole / 2, circle.center().y() - hole / 2, hole, hole)
            path.arcTo(inner, angle + span, -span)
            path.closeSubpath()
            p.setPen(QPen(QColor("white"), 1.5))
            p.setBrush(QBrush(color))
            p.drawPath(path)
            if (c, 0) == self._selected and not export:
                p.setPen(QPen(SELECT, 1.5))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(path)
            mid = math.radians(angle + span / 2)
            radius = (diameter + hole) / 4
            anchor = QPointF(circle.center().x() + radius * math.cos(mid), circle.center().y() - radius * math.sin(mid))
            self.add_hit(path, c, 0, export, anchor)
            angle += span
        # centre: the total
        p.setPen(TEXT)
        big = QFont(self.title_font())
        p.setFont(big)
        bfm = QFontMetricsF(big)
        centre = circle.center()
        p.drawText(QRectF(centre.x() - hole / 2, centre.y() - bfm.height(), hole, bfm.height()),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, format_value(total, d.unit))
        p.setFont(self.small_font())
        p.setPen(MUTED)
        p.drawText(QRectF(centre.x() - hole / 2, centre.y(), hole, fm.height()),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, f"合计（{d.unit}）")
        # legend
        x = circle.right() + 12
        row_h = fm.height() * 2 + 4
        y = rect.top() + max(0.0, (rect.height() - row_h * len(legend_rows)) / 2)
        for i, (c, v) in enumerate(legend_rows):
            color = category_color(d.categories[c], i)
            p.fillRect(QRectF(x, y + 3, 10, 10), color)
            p.setPen(SELECT if self.is_highlighted(c, 0) else TEXT)
            share = f"{v / total:.1%}" if total else ""
            width = rect.right() - x - 14
            p.drawText(QRectF(x + 14, y, width, fm.height()), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(f"{d.categories[c]}  {share}", Qt.TextElideMode.ElideRight, width))
            p.setPen(MUTED)
            detail = d.details[c] if c < len(d.details) else format_value(v, d.unit)
            p.drawText(QRectF(x + 14, y + fm.height(), width, fm.height()), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(detail, Qt.TextElideMode.ElideRight, width))
            hit = QPainterPath()
            hit.addRect(QRectF(x, y, rect.right() - x, row_h - 2))
            self.add_hit(hit, c, 0, export)
            y += row_h
