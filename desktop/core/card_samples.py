"""Sample cards for tests, screenshots and benchmarks, made from demo data.

Edits demo households through the ORM (so the audit log and search keys stay
right): one grows to 10 members and 15 measures (the "large" card), one gets
names with rare characters 䶮 喆 堃 珺 𠇔 (the "rare" card). Synthetic people
only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Helper, Household, Measure, Member
from desktop.core.idnumber import check_char

RARE_CHARS = "䶮喆堃珺𠇔"
RARE_NAMES = ("刘䶮", "王喆", "刘堃", "刘珺", "刘𠇔")
RARE_HELPER = "赵喆堃"

_EXTRA_PEOPLE = (  # relation, sex, age, given name
    ("之子", "男", 30, "建国"), ("之儿媳", "女", 28, "秀兰"), ("之孙子", "男", 6, "浩然"),
    ("之孙女", "女", 4, "欣怡"), ("之女", "女", 22, "丽娟"), ("之子", "男", 19, "志强"),
    ("之孙子", "男", 2, "子轩"), ("之父", "男", 80, "德福"), ("之母", "女", 78, "桂英"),
)
_MEASURES = (
    ("产业扶持", "发展香菇种植，补贴菌棒2000棒", "县农业局", Decimal("3000")),
    ("产业扶持", "到户增收资金入股合作社分红", "泌阳县花菇专业合作社", Decimal("1500")),
    ("转移就业", "推荐到产业集聚区企业务工", "县人力资源和社会保障局", Decimal("0")),
    ("转移就业", "雨露计划技能培训补助", "县扶贫开发办公室", Decimal("1500")),
    ("公益岗位", "聘为村保洁员", "乡人民政府", Decimal("4800")),
    ("健康扶贫", "新农合个人缴费资助", "县卫生和计划生育委员会", Decimal("600")),
    ("健康扶贫", "办理慢性病就诊证，家庭医生签约", "乡卫生院", Decimal("0")),
    ("教育扶贫", "义务教育阶段两免一补", "乡中心学校", Decimal("1250")),
    ("教育扶贫", "中职学生国家助学金", "县教育局", Decimal("2000")),
    ("危房改造", "C级危房维修加固", "县住房和城乡建设局", Decimal("8500")),
    ("金融扶贫", "小额扶贫贷款5万元，3年期全额贴息", "中国邮政储蓄银行泌阳县支行", Decimal("50000")),
    ("社会保障", "城乡居民养老保险个人缴费代缴", "县人力资源和社会保障局", Decimal("400")),
    ("生态补偿", "公益林生态效益补偿", "县林业局", Decimal("320")),
    ("产业扶持", "发放能繁母牛1头（夏南牛）", "泌阳县夏南牛业有限公司", Decimal("9000")),
    ("特殊救助", "临时救助（住院医疗）", "县民政局", Decimal("2000")),
)


def _id_number(birth: date, sex: str, serial: int) -> str:
    seq = serial % 1000
    if (seq % 2 == 1) != (sex == "男"):
        seq = (seq + 1) % 1000
    body = f"411726{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)


def _year(session: Session, household: Household) -> int:
    years = [m.year for m in household.measures] + [r.year for r in household.incomes]
    return max(years) if years else session.scalar(select(func.max(Measure.year))) or date.today().year


def make_large(session: Session, household: Household, members: int = 10, measures: int = 15) -> Household:
    """Grow ``household`` to ``members`` current members and ``measures`` measures this year."""
    year = _year(session, household)
    head = household.head
    surname = head.name[0] if head is not None and head.name else "王"
    seq = max((m.seq for m in household.members), default=0)
    extra = iter(_EXTRA_PEOPLE * 3)
    while len(household.current_members) < members:
        relation, sex, age, given = next(extra)
        seq += 1
        birth = date(year - age, 3 + seq % 9, 1 + seq)
        household.members.append(Member(
            seq=seq, name=(surname + given) if relation not in ("之儿媳", "之母") else "陈" + given, sex=sex,
            id_number=_id_number(birth, sex, 500 + seq * 7), birth_date=birth, relation=relation,
            ethnicity="汉族", education="初中" if age >= 12 else ("小学" if age >= 6 else "学龄前儿童"),
            student_status="非在校生" if age >= 19 or age < 3 else ("小学" if age < 12 else "九年级"),
            health="健康" if age < 70 else "长期慢性病", illness_name="高血压" if age >= 70 else None,
            labour_skill="普通劳动力" if 16 <= age < 65 else "无劳动力",
            work_location="县外省内务工" if 18 <= age < 50 else None, work_months=10 if 18 <= age < 50 else None,
            in_rural_medical=True, in_rural_pension=age >= 16, on_dibao=False,
        ))
    current = [m for m in household.measures if m.year == year]
    for category, content, unit, amount in _MEASURES:
        if len(current) >= measures:
            break
        m = Measure(year=year, category=category, subcategory=None, content=content,
                    helping_unit=unit, amount=amount, fund_source="财政专项",
                    implemented_on=date(year, 1 + len(current) % 11, 5 + len(current)), status="完成",
                    head_signed=True)
        household.measures.append(m)
        current.append(m)
    household.household_size = len(household.current_members)
    for record in household.incomes:
        if record.year == year:
            record.population = household.household_size
    session.flush()
    return household


def make_rare(session: Session, household: Household) -> Household:
    """Give the members of ``household`` (and its helper) names with 䶮 喆 堃 珺 𠇔."""
    year = _year(session, household)
    seq = max((m.seq for m in household.members), default=0)
    while len(household.current_members) < len(RARE_NAMES):
        seq += 1
        birth = date(year - 10 - seq, 5, 1 + seq)
        household.members.append(Member(seq=seq, name="待定", sex="男", relation="之子", ethnicity="汉族",
                                        birth_date=birth, id_number=_id_number(birth, "男", 300 + seq),
                                        education="初中", student_status="九年级", health="健康",
                                        labour_skill="无劳动力", in_rural_medical=True, in_rural_pension=False,
                                        on_dibao=False))
    for member, name in zip(sorted(household.current_members, key=lambda m: m.seq), RARE_NAMES, strict=False):
        member.name = name
    # A helper of their own (demo helpers serve several households).
    helper = Helper(township_id=household.village.township_id, name=RARE_HELPER, sex="男", unit="县扶贫开发办公室",
                    post="副主任", phone="13839612345")
    session.add(helper)
    for assignment in household.assignments:
        assignment.helper = helper
    household.household_size = len(household.current_members)
    for record in household.incomes:
        record.population = household.household_size
    session.flush()
    return household


def pick(session: Session, offset: int = 0) -> Household:
    """A demo household by position in id order (deterministic)."""
    household = session.scalars(select(Household).order_by(Household.id).offset(offset).limit(1)).first()
    if household is None:
        raise LookupError("no households in the database")
    return household
