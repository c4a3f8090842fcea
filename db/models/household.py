"""Poor households (贫困户) and their members (家庭成员)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, TimestampMixin, UuidMixin, field

if TYPE_CHECKING:
    from db.models.assessment import ExitAssessment, IncomeRecord
    from db.models.assistance import Assignment, HelpPlan, Measure, Visit
    from db.models.region import Village, VillageGroup


class Household(UuidMixin, TimestampMixin, Base):
    __tablename__ = "household"
    __table_args__ = (
        Index("ix_household_village_number", "village_id", "household_number"),
        # Search-as-you-type (LIKE '%term%'). SQLite: a B-tree the scan reads instead of the wide
        # table rows (it cannot seek, but reads a fraction of the pages). PostgreSQL: a GIN trigram
        # index that can seek (migration 0004; db/dialects/postgresql.py).
        Index("ix_household_search_key", "search_key",
              postgresql_using="gin", postgresql_ops={"search_key": "gin_trgm_ops"}),
        # SQLite: the household list's default order with the search key alongside, so a search in
        # that order is one scan of this index with no sort (migration 0004). PostgreSQL answers
        # through the trigram index instead; there this is an empty partial index (WHERE false).
        Index("ix_household_list_search", "village_id", "household_number", "id", "search_key",
              postgresql_where=text("false")),
    )

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True, info={"label": "行政村"})
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("village_group.id"), index=True, nullable=True, info={"label": "村民小组"}
    )
    household_number: Mapped[str | None] = field("户编号", type_=String(30), index=True)
    local_number: Mapped[str | None] = field("本地编号", type_=String(30))
    natural_village: Mapped[str | None] = field("自然村", type_=String(50))
    address: Mapped[str | None] = field("家庭住址", type_=String(200))
    phone: Mapped[str | None] = field("联系电话", type_=String(20), index=True)
    bank_name: Mapped[str | None] = field("开户银行", type_=String(100))
    bank_account: Mapped[str | None] = field("银行账号", type_=String(40))
    household_size: Mapped[int | None] = field("家庭人口数")

    identification_standard: Mapped[str | None] = field(
        "识别标准", codelist="identification_standard", type_=String(10)
    )
    attribute: Mapped[str | None] = field("贫困户属性", codelist="household_attribute", type_=String(20))
    main_cause: Mapped[str | None] = field("主要致贫原因", codelist="poverty_cause", type_=String(20))
    other_cause_1: Mapped[str | None] = field("其他致贫原因1", codelist="poverty_cause", type_=String(20))
    other_cause_2: Mapped[str | None] = field("其他致贫原因2", codelist="poverty_cause", type_=String(20))
    identification_year: Mapped[int | None] = field("识别年度")
    planned_exit_year: Mapped[int | None] = field("计划脱贫年度")
    exit_year: Mapped[int | None] = field("脱贫年度")
    relapse_year: Mapped[int | None] = field("返贫年度")
    relapse_cause: Mapped[str | None] = field("返贫原因", codelist="poverty_cause", type_=String(20))
    exit_status: Mapped[str] = field("脱贫状态", codelist="exit_status", type_=String(20), default="未脱贫")

    is_military_family: Mapped[bool | None] = field("是否军烈属")
    is_only_child: Mapped[bool | None] = field("是否独生子女户")
    is_two_daughters: Mapped[bool | None] = field("是否双女户")
    is_relocated: Mapped[bool | None] = field("是否易地扶贫搬迁户")
    relocation_willing: Mapped[bool | None] = field("是否有搬迁意愿")
    relocation_mode: Mapped[str | None] = field("搬迁方式", type_=String(30))
    resettlement_mode: Mapped[str | None] = field("安置方式", codelist="resettlement_mode", type_=String(10))
    resettlement_place: Mapped[str | None] = field("安置地", type_=String(100))

    # Production and living conditions (生产生活条件, domain.md §1.3)
    cultivated_land: Mapped[Decimal | None] = field("耕地面积(亩)")
    cultivated_land_confirmed: Mapped[Decimal | None] = field("其中确权面积(亩)")
    irrigated_land: Mapped[Decimal | None] = field("有效灌溉面积(亩)")
    forest_land: Mapped[Decimal | None] = field("林地面积(亩)")
    returned_farmland_forest: Mapped[Decimal | None] = field("退耕还林面积(亩)")
    fruit_forest: Mapped[Decimal | None] = field("林果面积(亩)")
    pasture: Mapped[Decimal | None] = field("牧草地面积(亩)")
    water_surface: Mapped[Decimal | None] = field("水面面积(亩)")
    domestic_power: Mapped[bool | None] = field("是否通生活用电")
    production_power: Mapped[bool | None] = field("是否通生产用电")
    broadcast_tv: Mapped[bool | None] = field("是否通广播电视")
    drinking_water_difficult: Mapped[bool | None] = field("饮水是否困难")
    drinking_water_safe: Mapped[bool | None] = field("饮水是否安全")
    distance_to_road_km: Mapped[Decimal | None] = field("与村主干路距离(公里)")
    access_road_type: Mapped[str | None] = field("入户路类型", codelist="access_road_type", type_=String(10))
    housing_area: Mapped[Decimal | None] = field("住房面积(平方米)")
    is_dangerous_house: Mapped[bool | None] = field("是否危房户")
    dangerous_house_grade: Mapped[str | None] = field(
        "危房等级", codelist="dangerous_house_grade", type_=String(10)
    )
    house_structure: Mapped[str | None] = field("房屋结构", codelist="house_structure", type_=String(10))
    main_fuel: Mapped[str | None] = field("主要燃料类型", codelist="main_fuel", type_=String(10))
    has_sanitary_toilet: Mapped[bool | None] = field("有无卫生厕所")
    joined_cooperative: Mapped[bool | None] = field("是否加入农民专业合作社")

    # 回头看 verification (domain.md §6)
    verified_by: Mapped[str | None] = field("核查人", type_=String(50))
    verified_on: Mapped[date | None] = field("核查日期")
    verification_result: Mapped[str | None] = field("核查结论", type_=String(200))
    note: Mapped[str | None] = field("备注", type_=Text)

    # Lower-case text with names, pinyin and initials of the members, the 户编号
    # and phones; computed when the household is saved, searched with LIKE.
    search_key: Mapped[str | None] = mapped_column(Text, nullable=True, info={"label": "检索键", "internal": True})
    # Optimistic locking: a second writer of a stale copy is told, not ignored.
    version: Mapped[int] = mapped_column(Integer, default=1, info={"label": "版本", "internal": True})

    __mapper_args__ = {"version_id_col": version}

    village: Mapped[Village] = relationship(back_populates="households")
    group: Mapped[VillageGroup | None] = relationship()
    members: Mapped[list[Member]] = relationship(
        back_populates="household", order_by="Member.seq", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(back_populates="household", cascade="all, delete-orphan")
    plans: Mapped[list[HelpPlan]] = relationship(back_populates="household", cascade="all, delete-orphan")
    measures: Mapped[list[Measure]] = relationship(back_populates="household", cascade="all, delete-orphan")
    incomes: Mapped[list[IncomeRecord]] = relationship(back_populates="household", cascade="all, delete-orphan")
    visits: Mapped[list[Visit]] = relationship(back_populates="household", cascade="all, delete-orphan")
    exit_assessments: Mapped[list[ExitAssessment]] = relationship(
        back_populates="household", cascade="all, delete-orphan"
    )

    @property
    def current_members(self) -> list[Member]:
        return [m for m in self.members if m.is_current]

    @property
    def head(self) -> Member | None:
        return next((m for m in self.current_members if m.relation == "户主"), None)


MEMBER_STATUS_NORMAL = "正常"
MEMBER_STATUS_ADDED = "自然增加"
MEMBER_STATUS_REMOVED = "自然减少"


class Member(UuidMixin, TimestampMixin, Base):
    """A person in a household. Never deleted: a departure sets status and reason."""

    __tablename__ = "member"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    seq: Mapped[int] = mapped_column(default=0, info={"label": "序号"})
    name: Mapped[str] = mapped_column(String(50), info={"label": "姓名"})
    sex: Mapped[str | None] = field("性别", codelist="sex", type_=String(10))
    id_type: Mapped[str | None] = field("证件类型", codelist="id_document_type", type_=String(20), default="居民身份证")
    id_number: Mapped[str | None] = field("证件号码", type_=String(22), index=True)
    birth_date: Mapped[date | None] = field("出生日期")
    relation: Mapped[str | None] = field("与户主关系", codelist="relation_to_head", type_=String(10))
    ethnicity: Mapped[str | None] = field("民族", codelist="ethnicity", type_=String(20))
    political_status: Mapped[str | None] = field("政治面貌", codelist="political_status", type_=String(20))
    education: Mapped[str | None] = field("文化程度", codelist="education_level", type_=String(20))
    student_status: Mapped[str | None] = field("在校生状况", codelist="student_status", type_=String(20))
    health: Mapped[str | None] = field("健康状况", codelist="health_status", type_=String(40))
    disability_type: Mapped[str | None] = field("残疾类别", codelist="disability_type", type_=String(10))
    disability_grade: Mapped[str | None] = field("残疾等级", codelist="disability_grade", type_=String(10))
    disability_cert_no: Mapped[str | None] = field("残疾证号", type_=String(22))
    disability_cert_year: Mapped[int | None] = field("残疾证办证年度")
    illness_name: Mapped[str | None] = field("患病名称", type_=String(100))
    illness_grade: Mapped[str | None] = field("疾病等级", type_=String(20))
    has_chronic_card: Mapped[bool | None] = field("是否有慢性病卡")
    chronic_card_no: Mapped[str | None] = field("慢性病卡号", type_=String(40))
    labour_skill: Mapped[str | None] = field("劳动技能", codelist="labour_skill", type_=String(20))
    work_location: Mapped[str | None] = field("务工所在地", codelist="work_location", type_=String(20))
    work_months: Mapped[int | None] = field("务工时间(月)")
    work_company: Mapped[str | None] = field("务工企业名称", type_=String(100))
    employment_channel: Mapped[str | None] = field("就业渠道", type_=String(50))
    public_job_type: Mapped[str | None] = field("公益性岗位类型", type_=String(50))
    public_job_months: Mapped[int | None] = field("公益性岗位(月)")
    in_rural_medical: Mapped[bool | None] = field("是否参加城乡居民基本医疗保险")
    in_serious_illness_insurance: Mapped[bool | None] = field("是否参加大病保险")
    in_rural_pension: Mapped[bool | None] = field("是否参加城乡居民基本养老保险")
    in_employee_medical: Mapped[bool | None] = field("是否参加城镇职工基本医疗保险")
    in_employee_pension: Mapped[bool | None] = field("是否参加城镇职工基本养老保险")
    on_dibao: Mapped[bool | None] = field("是否享受低保")
    on_tekun: Mapped[bool | None] = field("是否特困供养")
    is_active_military: Mapped[bool | None] = field("是否现役军人")
    speaks_mandarin: Mapped[bool | None] = field("是否会讲普通话")
    phone: Mapped[str | None] = field("成员联系电话", type_=String(20))
    status: Mapped[str] = field("成员状态", codelist="member_status", type_=String(10), default=MEMBER_STATUS_NORMAL)
    change_reason: Mapped[str | None] = field("变动原因", codelist="member_change_reason", type_=String(20))
    change_date: Mapped[date | None] = field("变动日期")
    note: Mapped[str | None] = field("备注", type_=Text)

    household: Mapped[Household] = relationship(back_populates="members")

    @property
    def is_current(self) -> bool:
        return self.status != MEMBER_STATUS_REMOVED
