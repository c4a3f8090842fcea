"""Row counts per table (``mingbaika-cli stats``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import Base

TABLE_LABELS = {
    "county": "县",
    "township": "乡镇",
    "village": "行政村",
    "village_group": "村民小组",
    "household": "贫困户",
    "member": "家庭成员",
    "helper": "帮扶责任人",
    "assignment": "帮扶结对",
    "help_plan": "帮扶计划",
    "measure": "帮扶措施",
    "income_record": "收入记录",
    "visit": "走访记录",
    "exit_assessment": "脱贫评估",
    "poverty_line": "贫困标准",
    "audit_log": "修改日志",
}


def table_counts(session: Session) -> dict[str, int]:
    counts = {}
    for name in TABLE_LABELS:
        table = Base.metadata.tables[name]
        counts[name] = session.scalar(select(func.count()).select_from(table)) or 0
    return counts
