"""Administrative units: county, township, village, villagers' group."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, TimestampMixin, UuidMixin, field

if TYPE_CHECKING:
    from db.models.household import Household


class County(UuidMixin, TimestampMixin, Base):
    __tablename__ = "county"

    code: Mapped[str] = mapped_column(String(6), unique=True, info={"label": "县代码"})
    name: Mapped[str] = mapped_column(String(50), info={"label": "县名称"})
    province: Mapped[str | None] = field("省", type_=String(50))
    prefecture: Mapped[str | None] = field("市", type_=String(50))

    townships: Mapped[list[Township]] = relationship(back_populates="county")


class Township(UuidMixin, TimestampMixin, Base):
    """A township office's database holds one; a county database holds all."""

    __tablename__ = "township"

    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, info={"label": "乡镇代码"})
    name: Mapped[str] = mapped_column(String(50), info={"label": "乡镇名称"})

    county: Mapped[County] = relationship(back_populates="townships")
    villages: Mapped[list[Village]] = relationship(back_populates="township", order_by="Village.code")


class Village(UuidMixin, TimestampMixin, Base):
    __tablename__ = "village"

    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, info={"label": "村代码"})
    name: Mapped[str] = mapped_column(String(50), info={"label": "村名称"})
    poverty_village_type: Mapped[str | None] = field("贫困村类型", codelist="poverty_village_type", type_=String(10))
    total_population: Mapped[int | None] = field("村总人口")
    total_households: Mapped[int | None] = field("村总户数")
    first_secretary: Mapped[str | None] = field("第一书记", type_=String(50))
    first_secretary_unit: Mapped[str | None] = field("第一书记派出单位", type_=String(100))
    first_secretary_phone: Mapped[str | None] = field("第一书记电话", type_=String(20))
    work_team_unit: Mapped[str | None] = field("驻村工作队派出单位", type_=String(100))
    work_team_leader: Mapped[str | None] = field("驻村工作队队长", type_=String(50))
    work_team_members: Mapped[str | None] = field("驻村工作队队员", type_=Text)
    work_team_start: Mapped[date | None] = field("驻村开始日期")
    work_team_end: Mapped[date | None] = field("驻村结束日期")
    paired_enterprise: Mapped[str | None] = field("结对帮扶企业", type_=String(100))
    paired_enterprise_credit_code: Mapped[str | None] = field("企业统一社会信用代码", type_=String(18))
    # Village exit indicators (domain.md §3.3), Henan list plus local additions.
    road_hardened: Mapped[bool | None] = field("通村公路硬化")
    bus_service: Mapped[bool | None] = field("通客运班车")
    safe_drinking_water: Mapped[bool | None] = field("安全饮水达标")
    electricity: Mapped[bool | None] = field("生产生活用电")
    broadcast_tv: Mapped[bool | None] = field("广播电视户户通")
    culture_center: Mapped[bool | None] = field("综合性文化服务中心")
    clinic_with_doctor: Mapped[bool | None] = field("标准化卫生室及合格村医")
    broadband: Mapped[bool | None] = field("通宽带")
    environment_beautified: Mapped[bool | None] = field("环境美化")
    dangerous_houses_renovated: Mapped[bool | None] = field("危房改造完成")
    village_office_built: Mapped[bool | None] = field("村室建设")
    collective_income: Mapped[Decimal | None] = field("村集体经济收入(元)")
    planned_exit_year: Mapped[int | None] = field("计划退出年度")
    exit_year: Mapped[int | None] = field("退出年度")
    note: Mapped[str | None] = field("备注", type_=Text)

    township: Mapped[Township] = relationship(back_populates="villages")
    groups: Mapped[list[VillageGroup]] = relationship(back_populates="village", order_by="VillageGroup.name")
    households: Mapped[list[Household]] = relationship(back_populates="village")


class VillageGroup(UuidMixin, TimestampMixin, Base):
    """村民小组: a group within a village; code is local and optional."""

    __tablename__ = "village_group"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), info={"label": "村民小组"})
    code: Mapped[str | None] = field("小组代码", type_=String(20))

    village: Mapped[Village] = relationship(back_populates="groups")
