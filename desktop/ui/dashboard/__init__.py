"""The overview dashboard (概况仪表盘): QPainter chart widgets and the dashboard tab."""

from desktop.ui.dashboard import qtrefs

qtrefs.install()  # PySide6 6.12 + Python 3.11 reference-count bug; see qtrefs.py

from desktop.ui.dashboard.charts import BarChart, ChartWidget, DonutChart  # noqa: E402
from desktop.ui.dashboard.tab import DashboardTab  # noqa: E402

__all__ = ["BarChart", "ChartWidget", "DashboardTab", "DonutChart"]
