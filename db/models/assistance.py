"""Who helps a household and how: helpers, assignments, plans, measures, visits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, TimestampMixin, UuidMixin, field

if TYPE_CHECKING:
    from db.models.household import Household, Member
    from db.models.region import Township


class Helper(UuidMixin, TimestampMixin, Base):
    """帮扶责任人. One helper usually serves several households."""

    __tablename__ = "helper"

    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), info={"label": "姓名"})
    sex: Mapped[str | None] = field("性别", codelist="sex", type_=String(10))
    id_number: Mapped[str | None] = field("身份证号码", type_=String(18), index=True)
    unit: Mapped[str | None] = field("单位名称", type_=String(100))
    post: Mapped[str | None] = field("职务", type_=String(50))
    phone: Mapped[str | None] = field("联系电话", type_=String(20))
    political_status: Mapped[str | None] = field("政治面貌", codelist="political_status", type_=String(20))
    unit_affiliation: Mapped[str | None] = field("单位隶属关系", codelist="helper_unit_affiliation", type_=String(10))
    active: Mapped[bool] = field("在岗", default=True)
    search_key: Mapped[str | None] = mapped_column(Text, nullable=True, info={"label": "检索键", "internal": True})
    note: Mapped[str | None] = field("备注", type_=Text)

    township: Mapped[Township] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(back_populates="helper")


class Assignment(UuidMixin, TimestampMixin, Base):
    """A helper assigned to a household for a period (end_date empty = current)."""

    __tablename__ = "assignment"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("helper.id"), index=True)
    start_date: Mapped[date | None] = field("帮扶开始日期")
    end_date: Mapped[date | None] = field("帮扶结束日期")

    household: Mapped[Household] = relationship(back_populates="assignments")
    helper: Mapped[Helper] = relationship(back_populates="assignments")

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= date.today()


class HelpPlan(UuidMixin, TimestampMixin, Base):
    """帮扶计划: the free-text plan of one household for one year."""

    __tablename__ = "help_plan"
    __table_args__ = (Index("ix_help_plan_household_year", "household_id", "year", unique=True),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    year: Mapped[int] = mapped_column(info={"label": "年度"})
    plan_text: Mapped[str | None] = field("帮扶计划", type_=Text)
    target_exit_year: Mapped[int | None] = field("目标脱贫年度")

    household: Mapped[Household] = relationship(back_populates="plans")


class Measure(UuidMixin, TimestampMixin, Base):
    """帮扶措施: one measure of help, with funds."""

    __tablename__ = "measure"
    __table_args__ = (Index("ix_measure_household_year", "household_id", "year"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    year: Mapped[int] = mapped_column(info={"label": "年度"})
    category: Mapped[str] = mapped_column(String(20), info={"label": "措施大类", "codelist": "help_measure_category"})
    subcategory: Mapped[str | None] = field("措施子项", type_=String(30))
    content: Mapped[str | None] = field("帮扶内容", type_=Text)
    quantity: Mapped[Decimal | None] = field("规模数量")
    quantity_unit: Mapped[str | None] = field("数量单位", type_=String(10))
    amount: Mapped[Decimal | None] = field("金额(元)")
    fund_source: Mapped[str | None] = field("资金来源", codelist="fund_source", type_=String(20))
    helping_unit: Mapped[str | None] = field("帮扶单位", type_=String(100))
    implemented_on: Mapped[date | None] = field("实施日期")
    status: Mapped[str | None] = field("实施状态", codelist="measure_status", type_=String(10))
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id"), nullable=True, info={"label": "受益成员"}
    )
    head_signed: Mapped[bool | None] = field("户主签名")

    household: Mapped[Household] = relationship(back_populates="measures")
    beneficiary: Mapped[Member | None] = relationship()


class Visit(UuidMixin, TimestampMixin, Base):
    """走访记录."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_household_date", "household_id", "visited_on"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("helper.id"), nullable=True, index=True)
    visited_on: Mapped[date] = mapped_column(info={"label": "走访日期"})
    visitor: Mapped[str | None] = field("走访人", type_=String(50))
    mode: Mapped[str | None] = field("走访方式", codelist="visit_mode", type_=String(10))
    content: Mapped[str | None] = field("走访内容", type_=Text)
    problems_solved: Mapped[str | None] = field("解决的问题", type_=Text)
    head_signed: Mapped[bool | None] = field("户主签字")

    household: Mapped[Household] = relationship(back_populates="visits")
    helper: Mapped[Helper | None] = relationship()
