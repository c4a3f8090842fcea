"""The overview dashboard (概况仪表盘): QPainter chart widgets and the dashboard tab."""


from desktop.ui.dashboard.charts import BarChart, ChartWidget, DonutChart  # noqa: E402
from desktop.ui.dashboard.tab import DashboardTab  # noqa: E402

__all__ = ["BarChart", "ChartWidget", "DashboardTab", "DonutChart"]
