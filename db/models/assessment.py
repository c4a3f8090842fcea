"""Income accounting, poverty lines and the exit assessment (精准退出)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, TimestampMixin, UuidMixin, field

if TYPE_CHECKING:
    from db.models.household import Household


class IncomeRecord(UuidMixin, TimestampMixin, Base):
    """收入情况 for one household and year. Totals and per-capita income are
    computed (desktop.core.income), never stored or typed in."""

    __tablename__ = "income_record"
    __table_args__ = (Index("ix_income_record_household_year", "household_id", "year", unique=True),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    year: Mapped[int] = mapped_column(info={"label": "年度"})
    population: Mapped[int | None] = field("核算人口")
    wage: Mapped[Decimal | None] = field("工资性收入")
    production: Mapped[Decimal | None] = field("生产经营性收入")
    property_income: Mapped[Decimal | None] = field("财产性收入")
    transfer: Mapped[Decimal | None] = field("转移性收入")
    transfer_family_planning: Mapped[Decimal | None] = field("其中:计划生育金")
    transfer_dibao: Mapped[Decimal | None] = field("其中:低保金")
    transfer_wubao: Mapped[Decimal | None] = field("其中:五保金(特困供养金)")
    transfer_pension: Mapped[Decimal | None] = field("其中:养老保险金")
    transfer_eco: Mapped[Decimal | None] = field("其中:生态补偿金")
    transfer_other: Mapped[Decimal | None] = field("其中:其他转移性收入")
    production_expense: Mapped[Decimal | None] = field("生产经营性支出")
    note: Mapped[str | None] = field("备注", type_=Text)

    household: Mapped[Household] = relationship(back_populates="incomes")


class PovertyLine(UuidMixin, TimestampMixin, Base):
    """Poverty line by year and scope (国家 / 省 / 市 / 脱贫标准); editable."""

    __tablename__ = "poverty_line"
    __table_args__ = (Index("ix_poverty_line_year_scope", "year", "scope", unique=True),)

    year: Mapped[int] = mapped_column(info={"label": "年度"})
    scope: Mapped[str] = mapped_column(String(10), info={"label": "标准类别", "codelist": "poverty_line_scope"})
    amount: Mapped[Decimal] = mapped_column(info={"label": "标准(元/人·年)"})
    source: Mapped[str | None] = field("依据", type_=String(200))
    note: Mapped[str | None] = field("备注", type_=Text)


class ExitAssessment(UuidMixin, TimestampMixin, Base):
    """脱贫验收 record of one household for one year (domain.md §1.7, §3.2)."""

    __tablename__ = "exit_assessment"
    __table_args__ = (Index("ix_exit_assessment_household_year", "household_id", "year", unique=True),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    year: Mapped[int] = mapped_column(info={"label": "评估年度"})
    per_capita_income: Mapped[Decimal | None] = field("年人均纯收入")
    threshold: Mapped[Decimal | None] = field("脱贫标准")
    food_ok: Mapped[bool | None] = field("不愁吃")
    food_evidence: Mapped[str | None] = field("不愁吃依据", type_=Text)
    clothing_ok: Mapped[bool | None] = field("不愁穿")
    clothing_evidence: Mapped[str | None] = field("不愁穿依据", type_=Text)
    education_ok: Mapped[bool | None] = field("义务教育有保障")
    education_evidence: Mapped[str | None] = field("义务教育依据", type_=Text)
    medical_ok: Mapped[bool | None] = field("基本医疗有保障")
    medical_evidence: Mapped[str | None] = field("基本医疗依据", type_=Text)
    housing_ok: Mapped[bool | None] = field("住房安全有保障")
    housing_evidence: Mapped[str | None] = field("住房安全依据", type_=Text)
    water_ok: Mapped[bool | None] = field("饮水安全有保障")
    water_evidence: Mapped[str | None] = field("饮水安全依据", type_=Text)
    democratic_review_on: Mapped[date | None] = field("民主评议日期")
    democratic_review_result: Mapped[str | None] = field("民主评议结果", type_=String(100))
    village_verified_on: Mapped[date | None] = field("村两委及工作队核实日期")
    head_confirmed: Mapped[bool | None] = field("户主认可")
    head_confirmed_on: Mapped[date | None] = field("户主签字日期")
    publicity_start: Mapped[date | None] = field("公示开始日期")
    publicity_end: Mapped[date | None] = field("公示结束日期")
    township_reviewed_on: Mapped[date | None] = field("乡镇审核日期")
    county_approved_on: Mapped[date | None] = field("县审定日期")
    decision: Mapped[str | None] = field("评估结论", codelist="exit_decision", type_=String(10))
    resulting_status: Mapped[str | None] = field("认定脱贫状态", codelist="exit_status", type_=String(20))
    resulting_exit_year: Mapped[int | None] = field("认定脱贫年度")
    note: Mapped[str | None] = field("备注", type_=Text)

    household: Mapped[Household] = relationship(back_populates="exit_assessments")
