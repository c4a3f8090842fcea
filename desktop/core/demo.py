"""Deterministic synthetic data for a township: the data of every test,
screenshot and benchmark. Nobody in it is real.

The same seed gives the same people, UUIDs and timestamps. Households are
internally consistent (relations fit sexes and ages, ID numbers are valid and
agree with birth dates and sexes, causes follow members' health, exited
households pass 两不愁三保障 and sit above that year's line), so the clean demo
data raises no data-quality problems.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.dialects import after_bulk_load, after_explicit_ids
from db.models import (
    Assignment,
    County,
    ExitAssessment,
    Helper,
    HelpPlan,
    Household,
    IncomeRecord,
    Measure,
    Member,
    Township,
    Village,
    VillageGroup,
    Visit,
)
from desktop.core import povertylines
from desktop.core.codelists import measure_subcategories
from desktop.core.idnumber import age_at_year_end, check_char
from desktop.core.searchkey import helper_search_key, household_search_key

SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
RARE_SURNAMES = "单解区仇朴查盖覃尉"
MALE_CHARS = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_CHARS = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
RARE_GIVEN = ("䶮", "喆", "堃", "珺", "𠇔")
VILLAGE_PREFIX = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
VILLAGE_SUFFIX = ("庄", "楼", "湾", "岗", "寨", "集", "店", "营", "河", "沟", "坡", "屯", "园", "桥", "洼", "岭")
GROUP_NAMES = ("一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组", "九组", "十组")
HELPER_UNITS = (
    ("县扶贫开发办公室", "县"),
    ("县教育局", "县"),
    ("县卫生和计划生育委员会", "县"),
    ("县农业局", "县"),
    ("县林业局", "县"),
    ("县水利局", "县"),
    ("县住房和城乡建设局", "县"),
    ("县民政局", "县"),
    ("县人力资源和社会保障局", "县"),
    ("县财政局", "县"),
    ("县供电公司", "县"),
    ("乡人民政府", "乡镇"),
    ("乡中心学校", "乡镇"),
    ("乡卫生院", "乡镇"),
    ("市交通运输局", "市"),
    ("省农业科学院", "省"),
)
HELPER_POSTS = ("干部", "科员", "副科长", "科长", "副局长", "教师", "医生", "办事员", "站长", "副主任")
ENTERPRISES = ("泌阳县夏南牛业有限公司", "泌阳县花菇专业合作社", "驻马店市恒兴农业发展有限公司", "河南盘古山茶业有限公司")
BANKS = ("泌阳县农村信用合作联社", "中国邮政储蓄银行泌阳县支行", "中国农业银行泌阳县支行")
ILLNESSES = ("高血压", "糖尿病", "冠心病", "慢性支气管炎", "类风湿关节炎", "脑梗塞后遗症", "慢性肾病")
SERIOUS_ILLNESSES = ("肺癌", "胃癌", "尿毒症", "白血病", "乳腺癌", "重度精神病")
OTHER_REGIONS = ("411726", "411726", "411726", "411726", "411721", "411725", "411702", "412828", "410000")
PHONE_PREFIX = ("138", "139", "137", "150", "151", "152", "158", "159", "182", "187", "135", "136", "133", "153", "189")

# Rows are inserted in chunks of this size (keeps memory flat, lets progress report).
CHUNK = 5000
# Fixed timestamps keep the demo data deterministic.
DEMO_TIMESTAMP_TIME = (23, 0, 0)


@dataclass(frozen=True)
class DemoOptions:
    households: int
    seed: int = 1
    township_code: str = "411726100000"
    township_name: str = "泌水镇"
    county_code: str = "411726"
    county_name: str = "泌阳县"
    year: int = 2017


@dataclass
class DemoResult:
    households: int
    members: int
    helpers: int
    villages: int


class DemoError(ValueError):
    pass


class _Ids:
    """Integer primary keys handed out in Python so rows can reference each other."""

    def __init__(self, session: Session) -> None:
        self.next: dict[type, int] = {}
        for model in (County, Township, Village, VillageGroup, Household, Member, Helper, Assignment,
                      HelpPlan, Measure, IncomeRecord, Visit, ExitAssessment):
            self.next[model] = (session.scalar(select(func.max(model.id))) or 0) + 1

    def take(self, model: type) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Generator:
    def __init__(self, options: DemoOptions, session: Session) -> None:
        self.o = options
        self.rng = random.Random(options.seed * 1_000_003 + int(options.township_code))
        self.ids = _Ids(session)
        self.stamp = datetime(options.year, 12, 31, *DEMO_TIMESTAMP_TIME)
        self.used_ids: set[str] = set()
        self.rows: dict[type, list[dict]] = {}

    # ----- small helpers -------------------------------------------------
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def base(self, model: type) -> dict:
        return {"id": self.ids.take(model), "uuid": self.uuid(), "created_at": self.stamp, "updated_at": self.stamp}

    def add(self, model: type, row: dict) -> None:
        self.rows.setdefault(model, []).append(row)

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIX) + f"{self.rng.randrange(10**8):08d}"

    def surname(self) -> str:
        if self.rng.random() < 0.02:
            return self.rng.choice(RARE_SURNAMES)
        return self.rng.choice(SURNAMES)

    def given(self, sex: str) -> str:
        pool = MALE_CHARS if sex == "男" else FEMALE_CHARS
        if self.rng.random() < 0.004:
            first = self.rng.choice(RARE_GIVEN)
        else:
            first = self.rng.choice(pool)
        if self.rng.random() < 0.35:
            return first
        return first + self.rng.choice(pool)

    def id_number(self, birth: date, sex: str) -> str:
        while True:
            region = self.rng.choice(OTHER_REGIONS)
            seq = self.rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex == "男"):
                seq = (seq + 1) % 1000
            body = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = body + check_char(body)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def birth(self, age: int) -> date:
        year = self.o.year - age
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    # ----- structure -----------------------------------------------------
    def ensure_regions(self, session: Session) -> tuple[int, list[tuple[int, str, list[int], str]]]:
        o = self.o
        county = session.scalar(select(County).where(County.code == o.county_code))
        if county is None:
            county = County(code=o.county_code, name=o.county_name, province="河南省", prefecture="驻马店市")
            county.uuid = self.uuid()
            session.add(county)
            session.flush()
        if session.scalar(select(Township).where(Township.code == o.township_code)) is not None:
            raise DemoError(f"乡镇“{o.township_code}”已有数据，请换一个乡镇代码或使用新的数据库文件")
        township = Township(county_id=county.id, code=o.township_code, name=o.township_name)
        township.uuid = self.uuid()
        session.add(township)
        session.flush()
        n_villages = max(1, min(399, round(o.households / 300)))
        names: set[str] = set()
        villages = []
        for i in range(n_villages):
            while True:
                name = self.rng.choice(VILLAGE_PREFIX) + self.rng.choice(VILLAGE_SUFFIX) + "村"
                if name not in names:
                    break
                if len(names) > 1500:
                    name = f"{name[:-1]}{i}村"
                    break
            names.add(name)
            vid = self.ids.take(Village)
            kind = self.rng.choices(("重点村", "非重点村", "非贫困村"), (35, 20, 45))[0]
            row = {
                "id": vid, "uuid": self.uuid(), "created_at": self.stamp, "updated_at": self.stamp,
                "township_id": township.id, "code": f"{o.township_code[:9]}{200 + i:03d}", "name": name,
                "poverty_village_type": kind,
                "first_secretary": self.surname() + self.given("男") if kind != "非贫困村" else None,
                "first_secretary_unit": self.rng.choice(HELPER_UNITS)[0] if kind != "非贫困村" else None,
                "first_secretary_phone": self.phone() if kind != "非贫困村" else None,
                "work_team_unit": self.rng.choice(HELPER_UNITS)[0] if kind != "非贫困村" else None,
                "work_team_leader": self.surname() + self.given("男") if kind != "非贫困村" else None,
                "work_team_members": "、".join(self.surname() + self.given("女") for _ in range(2))
                if kind != "非贫困村" else None,
                "work_team_start": date(o.year - 2, 3, 1) if kind != "非贫困村" else None,
                "paired_enterprise": self.rng.choice(ENTERPRISES) if kind == "重点村" else None,
                "paired_enterprise_credit_code": self.credit_code() if kind == "重点村" else None,
                "road_hardened": True, "bus_service": self.rng.random() < 0.8, "safe_drinking_water": True,
                "electricity": True, "broadcast_tv": True, "culture_center": self.rng.random() < 0.85,
                "clinic_with_doctor": True, "broadband": self.rng.random() < 0.9,
                "collective_income": float(self.rng.randrange(0, 80) * 1000),
            }
            self.add(Village, row)
            groups = []
            for g in range(self.rng.randint(3, 8)):
                gid = self.ids.take(VillageGroup)
                self.add(VillageGroup, {"id": gid, "uuid": self.uuid(), "created_at": self.stamp,
                                        "updated_at": self.stamp, "village_id": vid, "name": GROUP_NAMES[g],
                                        "code": f"{g + 1:02d}"})
                groups.append(gid)
            villages.append((vid, row["code"], groups, name))
        return township.id, villages

    def credit_code(self) -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        return "91411726" + "".join(self.rng.choice(alphabet) for _ in range(10))

    def helpers(self, township_id: int, count: int) -> list[tuple[int, str]]:
        result = []
        for _ in range(count):
            sex = "男" if self.rng.random() < 0.7 else "女"
            name = self.surname() + self.given(sex)
            unit, level = self.rng.choice(HELPER_UNITS)
            age = self.rng.randint(25, 58)
            hid = self.ids.take(Helper)
            phone = self.phone()
            self.add(Helper, {
                "id": hid, "uuid": self.uuid(), "created_at": self.stamp, "updated_at": self.stamp,
                "township_id": township_id, "name": name, "sex": sex,
                "id_number": self.id_number(self.birth(age), sex), "unit": unit,
                "post": self.rng.choice(HELPER_POSTS), "phone": phone,
                "political_status": self.rng.choice(("中共党员", "中共党员", "群众", "共青团员")),
                "unit_affiliation": level, "active": True, "search_key": helper_search_key(name, unit, phone),
            })
            result.append((hid, name))
        return result

    # ----- members -------------------------------------------------------
    def person(self, hh_id: int, seq: int, relation: str, sex: str, age: int, surname: str | None,
               attribute: str) -> dict:
        name = (surname or self.surname()) + self.given(sex)
        birth = self.birth(age)
        year = self.o.year
        age = age_at_year_end(birth, year)
        r = self.rng.random()
        if age >= 60:
            health = "长期慢性病" if r < 0.35 else ("患有大病" if r < 0.42 else ("残疾" if r < 0.5 else "健康"))
        elif age >= 18:
            health = "长期慢性病" if r < 0.08 else ("患有大病" if r < 0.12 else ("残疾" if r < 0.18 else "健康"))
        else:
            health = "残疾" if r < 0.02 else ("患有大病" if r < 0.03 else "健康")
        id_number = self.id_number(birth, sex)
        row: dict = {
            "id": self.ids.take(Member), "uuid": self.uuid(), "created_at": self.stamp, "updated_at": self.stamp,
            "household_id": hh_id, "seq": seq, "name": name, "sex": sex, "id_type": "居民身份证",
            "id_number": id_number, "birth_date": birth, "relation": relation,
            "ethnicity": "汉族" if self.rng.random() < 0.97 else "回族",
            "political_status": "中共党员" if age >= 30 and self.rng.random() < 0.05 else (
                "共青团员" if 14 <= age <= 28 and self.rng.random() < 0.3 else "群众"),
            "health": health, "status": "正常",
            "in_rural_medical": True, "in_serious_illness_insurance": True,
            "in_rural_pension": age >= 16 and not (6 <= age <= 22),
            "on_dibao": attribute == "低保贫困户", "on_tekun": attribute == "特困供养贫困户",
            "is_active_military": False,
            "disability_type": None, "disability_grade": None, "disability_cert_no": None,
            "disability_cert_year": None, "illness_name": None, "has_chronic_card": None,
            "work_location": None, "work_months": 0, "work_company": None,
        }
        # schooling
        if age < 6:
            row["education"], row["student_status"] = "学龄前儿童", ("学前教育" if age >= 3 else "非在校生")
        elif age <= 11:
            row["education"], row["student_status"] = "小学", "小学"
        elif age <= 14:
            row["education"], row["student_status"] = "小学", ("七年级", "八年级", "九年级")[age - 12]
        elif age <= 17:
            in_school = self.rng.random() < 0.8
            row["education"] = "初中"
            row["student_status"] = ("高中一年级", "高中二年级", "高中三年级")[age - 15] if in_school else "非在校生"
        elif age <= 21 and self.rng.random() < 0.35:
            row["education"], row["student_status"] = "高中", "大专及以上"
        else:
            row["student_status"] = "非在校生"
            if age >= 65:
                row["education"] = self.rng.choice(("文盲或半文盲", "文盲或半文盲", "小学"))
            else:
                row["education"] = self.rng.choices(("小学", "初中", "高中", "大专及以上"), (30, 50, 17, 3))[0]
        # health details
        if health == "残疾":
            dtype = self.rng.randint(1, 7)
            grade = self.rng.randint(1, 4)
            row.update(disability_type=("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾",
                                        "多重残疾")[dtype - 1],
                       disability_grade=("一级", "二级", "三级", "四级")[grade - 1],
                       disability_cert_no=f"{id_number}{dtype}{grade}",
                       disability_cert_year=self.rng.randint(year - 8, year))
        elif health == "长期慢性病":
            row.update(illness_name=self.rng.choice(ILLNESSES), has_chronic_card=self.rng.random() < 0.7)
        elif health == "患有大病":
            row.update(illness_name=self.rng.choice(SERIOUS_ILLNESSES), has_chronic_card=True)
        # labour
        student = row["student_status"] not in ("非在校生",) or age < 16
        if age < 16 or student:
            labour = "无劳动力"
        elif age > 65:
            labour = "无劳动力" if health == "健康" else "丧失劳动力"
        elif health in ("患有大病", "残疾") and self.rng.random() < 0.7:
            labour = "丧失劳动力"
        else:
            labour = "技能劳动力" if self.rng.random() < 0.15 else "普通劳动力"
        row["labour_skill"] = labour
        if labour in ("普通劳动力", "技能劳动力") and attribute != "特困供养贫困户" and self.rng.random() < 0.55:
            row["work_location"] = self.rng.choices(
                ("乡（镇）内务工", "乡（镇）外县内务工", "县外省内务工", "省外务工"), (25, 20, 25, 30))[0]
            row["work_months"] = self.rng.randint(3, 12)
            row["work_company"] = self.rng.choice((None, "富士康科技集团", "泌阳县产业集聚区", "合作社"))
        return row

    def family(self, hh_id: int, attribute: str) -> list[dict]:
        rng = self.rng
        members: list[dict] = []
        if attribute == "特困供养贫困户":
            size = rng.choices((1, 2), (75, 25))[0]
            head_age = rng.randint(66, 90)  # 特困供养: past working age (16–65), no labour capacity
        else:
            size = rng.choices((1, 2, 3, 4, 5, 6, 7, 8), (4, 11, 17, 26, 21, 12, 6, 3))[0]
            head_age = rng.randint(28, 78)
        head_sex = "男" if rng.random() < 0.85 else "女"
        surname = self.surname()
        head = self.person(hh_id, 1, "户主", head_sex, head_age, surname if head_sex == "男" else None, attribute)
        members.append(head)
        seq = 2
        if size >= 2:
            spouse_sex = "女" if head_sex == "男" else "男"
            if attribute == "特困供养贫困户" or rng.random() < 0.85:
                youngest = 66 if attribute == "特困供养贫困户" else 20
                spouse_age = max(youngest, min(95, head_age + rng.randint(-5, 3)))
                members.append(self.person(hh_id, seq, "配偶", spouse_sex, spouse_age,
                                           surname if spouse_sex == "男" else None, attribute))
                seq += 1
        child_surname = surname if head_sex == "男" else None
        father_age = head_age
        while len(members) < size:
            remaining = size - len(members)
            if head_age < 45 and remaining >= 1 and rng.random() < 0.25 and not any(
                    m["relation"] in ("之父", "之母") for m in members):
                # an elderly parent of the head
                parent_sex = rng.choice(("男", "女"))
                members.append(self.person(hh_id, seq, "之父" if parent_sex == "男" else "之母", parent_sex,
                                           min(95, head_age + rng.randint(22, 32)),
                                           surname if parent_sex == "男" else None, attribute))
            elif head_age >= 58 and remaining >= 2 and rng.random() < 0.5:
                # a married son with his wife, or a grandchild
                if not any(m["relation"] == "之儿媳" for m in members):
                    son_age = head_age - rng.randint(22, 30)
                    members.append(self.person(hh_id, seq, "之子", "男", son_age, child_surname, attribute))
                    seq += 1
                    members.append(self.person(hh_id, seq, "之儿媳", "女", son_age + rng.randint(-3, 2), None,
                                               attribute))
                else:
                    sex = rng.choice(("男", "女"))
                    members.append(self.person(hh_id, seq, "之孙子" if sex == "男" else "之孙女", sex,
                                               rng.randint(0, max(0, head_age - 45)), child_surname, attribute))
            else:
                sex = rng.choice(("男", "女"))
                child_age = max(0, father_age - rng.randint(20, 36))
                members.append(self.person(hh_id, seq, "之子" if sex == "男" else "之女", sex, child_age,
                                           child_surname, attribute))
            seq += 1
        return members

    # ----- households ----------------------------------------------------
    def household(self, village: tuple[int, str, list[int], str], seq: int, helpers: list[tuple[int, str]]) -> None:
        rng, o = self.rng, self.o
        vid, vcode, groups, vname = village
        hid = self.ids.take(Household)
        attribute = rng.choices(("一般贫困户", "低保贫困户", "特困供养贫困户"), (70, 22, 8))[0]
        members = self.family(hid, attribute)
        for m in members:
            self.add(Member, m)
        size = len(members)
        healths = {m["health"] for m in members}
        students = any(m["student_status"] not in ("非在校生", "学前教育") and m["student_status"] for m in members)
        able = sum(1 for m in members if m["labour_skill"] in ("普通劳动力", "技能劳动力"))
        candidates = []
        if healths & {"长期慢性病", "患有大病"}:
            candidates += ["因病"] * 4
        if "残疾" in healths:
            candidates += ["因残"] * 3
        if students:
            candidates += ["因学"] * 2
        if able == 0:
            candidates += ["缺劳力"] * 3
        candidates += ["缺技术", "缺资金", "缺资金", "缺土地", "交通条件落后", "自身发展动力不足", "因灾", "缺水"]
        main = rng.choice(candidates)
        others = []
        for c in rng.sample(candidates, k=min(len(candidates), 4)):
            if c != main and c not in others and len(others) < rng.randint(0, 2):
                others.append(c)
        ident_year = rng.choice((o.year - 3, o.year - 3, o.year - 2, o.year - 1))
        r = rng.random()
        if r < 0.55:
            status, exit_year = "已脱贫（享受政策）", rng.randint(max(ident_year + 1, o.year - 2), o.year)
        elif r < 0.60:
            status, exit_year = "预脱贫", None
        else:
            status, exit_year = "未脱贫", None
        exited = status == "已脱贫（享受政策）"
        planned = exit_year or rng.randint(o.year, o.year + 3)
        land = round(rng.uniform(0.5, 2.5) * size, 1)
        house_grade = rng.choices(("A级", "B级", "C级", "D级"), (35, 50, 10, 5))[0] if not exited else \
            rng.choice(("A级", "B级"))
        dangerous = house_grade in ("C级", "D级")
        names = [m["name"] for m in members]
        hh_number = f"{vcode[6:9]}{vcode[9:12]}{seq:04d}"
        phone = self.phone() if rng.random() < 0.93 else None
        self.add(Household, {
            "id": hid, "uuid": self.uuid(), "created_at": self.stamp, "updated_at": self.stamp,
            "village_id": vid, "group_id": rng.choice(groups), "household_number": hh_number,
            "address": f"{o.township_name}{vname}",
            "phone": phone, "bank_name": rng.choice(BANKS),
            "bank_account": "6229" + "".join(str(rng.randrange(10)) for _ in range(15)),
            "household_size": size, "identification_standard": "国家标准", "attribute": attribute,
            "main_cause": main, "other_cause_1": others[0] if others else None,
            "other_cause_2": others[1] if len(others) > 1 else None,
            "identification_year": ident_year, "planned_exit_year": planned, "exit_year": exit_year,
            "exit_status": status, "is_military_family": rng.random() < 0.01, "is_only_child": rng.random() < 0.05,
            "is_two_daughters": rng.random() < 0.04, "is_relocated": rng.random() < 0.06,
            "relocation_willing": rng.random() < 0.1,
            "cultivated_land": land, "cultivated_land_confirmed": land,
            "irrigated_land": round(land * rng.uniform(0.2, 0.9), 1), "forest_land": round(rng.uniform(0, 3), 1),
            "returned_farmland_forest": 0.0, "fruit_forest": round(rng.choice((0, 0, 0, 0.5, 1.0)), 1),
            "pasture": 0.0, "water_surface": 0.0,
            "domestic_power": True, "production_power": rng.random() < 0.9, "broadcast_tv": True,
            "drinking_water_difficult": False if exited else rng.random() < 0.05,
            "drinking_water_safe": True if exited else rng.random() < 0.95,
            "distance_to_road_km": round(rng.uniform(0, 3), 1),
            "access_road_type": rng.choices(("泥土路", "砂石路", "水泥路"), (15, 25, 60))[0],
            "housing_area": float(rng.randint(40, 160)), "is_dangerous_house": dangerous,
            "dangerous_house_grade": house_grade,
            "house_structure": rng.choices(("砖混", "砖木", "土木", "钢混"), (55, 30, 10, 5))[0],
            "main_fuel": rng.choices(("柴草", "煤炭", "清洁能源"), (40, 20, 40))[0],
            "has_sanitary_toilet": rng.random() < 0.7, "joined_cooperative": rng.random() < 0.4,
            "search_key": household_search_key(hh_number, phone, names, [m["id_number"] for m in members]),
            "version": 1,
        })
        # helper assignment
        helper_id, helper_name = helpers[(seq * 7 + vid) % len(helpers)] if rng.random() < 0.5 else \
            rng.choice(helpers)
        self.add(Assignment, {**self.base(Assignment), "household_id": hid, "helper_id": helper_id,
                              "start_date": date(ident_year, rng.randint(3, 10), rng.randint(1, 28))})
        # plan
        self.add(HelpPlan, {**self.base(HelpPlan), "household_id": hid, "year": o.year,
                            "plan_text": self.plan_text(main, attribute), "target_exit_year": planned})
        # incomes for this and last year
        for yr in (o.year - 1, o.year):
            self.income(hid, yr, members, attribute, exited and (exit_year or 0) <= yr)
        # measures
        for _ in range(rng.randint(1, 4)):
            self.measure(hid, main, attribute, members)
        # visits
        for _ in range(rng.randint(2, 5)):
            self.add(Visit, {**self.base(Visit), "household_id": hid, "helper_id": helper_id,
                             "visited_on": date(o.year, 1, 1) + timedelta(days=rng.randrange(330)),
                             "visitor": helper_name, "mode": rng.choice(("入户走访", "入户走访", "电话")),
                             "content": rng.choice(("了解家庭收入情况", "宣讲扶贫政策", "核实家庭人口",
                                                    "落实产业帮扶措施", "走访慰问")),
                             "problems_solved": rng.choice((None, "协助办理慢性病卡", "联系务工岗位",
                                                            "申请危房改造")),
                             "head_signed": True})
        if exited and exit_year:
            self.exit_assessment(hid, exit_year)

    def plan_text(self, main: str, attribute: str) -> str:
        parts = {"因病": "落实健康扶贫政策，办理慢性病卡，家庭医生签约服务",
                 "因残": "申请残疾人两项补贴，安排力所能及的公益岗位",
                 "因学": "落实教育资助政策，申请雨露计划补助",
                 "缺劳力": "资产收益分红，落实社会保障兜底",
                 "缺技术": "参加技能培训，推荐就业",
                 "缺资金": "申请小额扶贫贷款，发展特色种养"}
        text = parts.get(main, "发展特色产业，增加家庭收入")
        if attribute != "一般贫困户":
            text += "；落实低保、特困供养政策"
        return text

    def income(self, hid: int, year: int, members: list[dict], attribute: str, must_exceed: bool) -> None:
        rng = self.rng
        size = len(members)
        line = 3335 if year >= 2017 else 2952
        workers = sum(1 for m in members if m["work_location"])
        wage = sum(rng.randint(800, 2500) * m["work_months"] for m in members if m["work_location"])
        production = rng.randint(1000, 8000) if size > 1 else rng.randint(0, 2000)
        expense = max(1, round(production * rng.uniform(0.2, 0.45))) if production else 0
        prop = rng.choice((0, 0, 300, 500, 1000))
        dibao = rng.randint(1500, 3000) * size if attribute == "低保贫困户" else 0
        wubao = rng.randint(3000, 4500) * size if attribute == "特困供养贫困户" else 0
        pension = sum(900 for m in members if age_at_year_end(m["birth_date"], year) >= 60)
        eco = rng.choice((0, 0, 200, 540))
        other = rng.choice((0, 0, 300))
        transfer = dibao + wubao + pension + eco + other
        net = wage + production + prop + transfer - expense
        target = line * size
        if must_exceed and net <= target * 1.05:
            prop += int(target * 1.15 - net) + 100
        elif not must_exceed and workers == 0 and net > target and rng.random() < 0.7:
            production = max(0, production - int(net - target * 0.8))
            expense = max(1, round(production * 0.3)) if production else 0
        self.add(IncomeRecord, {
            **self.base(IncomeRecord), "household_id": hid, "year": year, "population": size,
            "wage": float(wage), "production": float(production), "property_income": float(prop),
            "transfer": float(transfer), "transfer_dibao": float(dibao), "transfer_wubao": float(wubao),
            "transfer_pension": float(pension), "transfer_eco": float(eco), "transfer_other": float(other),
            "transfer_family_planning": 0.0, "production_expense": float(expense),
        })

    def measure(self, hid: int, main: str, attribute: str, members: list[dict]) -> None:
        rng, o = self.rng, self.o
        by_cause = {"因病": "健康扶贫", "因残": "社会保障", "因学": "教育扶贫", "缺资金": "金融扶贫",
                    "缺技术": "转移就业", "缺劳力": "产业扶持"}
        category = by_cause.get(main) if rng.random() < 0.5 else None
        category = category or rng.choice(("产业扶持", "产业扶持", "转移就业", "健康扶贫", "危房改造", "公益岗位",
                                           "生态补偿", "金融扶贫"))
        subs = measure_subcategories(category)
        sub = rng.choice(subs) if subs else None
        amount = {"产业扶持": (1000, 5000), "转移就业": (300, 2000), "健康扶贫": (150, 3000), "危房改造": (8000, 20000),
                  "公益岗位": (3600, 6000), "生态补偿": (200, 1500), "金融扶贫": (10000, 50000),
                  "教育扶贫": (400, 5000), "社会保障": (1000, 4000)}.get(category, (500, 3000))
        status = rng.choices(("完成", "实施中", "计划"), (60, 25, 15))[0]
        self.add(Measure, {
            **self.base(Measure), "household_id": hid, "year": o.year, "category": category, "subcategory": sub,
            "content": f"{sub or category}帮扶", "quantity": None, "quantity_unit": None,
            "amount": float(rng.randint(*amount) // 10 * 10),
            "fund_source": rng.choice(("财政专项", "财政专项", "行业部门", "社会帮扶", "金融")),
            "helping_unit": rng.choice(HELPER_UNITS)[0],
            "implemented_on": date(o.year, rng.randint(1, 11), rng.randint(1, 28)), "status": status,
            "head_signed": status == "完成",
        })

    def exit_assessment(self, hid: int, year: int) -> None:
        rng = self.rng
        review = date(year, rng.randint(9, 10), rng.randint(1, 20))
        self.add(ExitAssessment, {
            **self.base(ExitAssessment), "household_id": hid, "year": year,
            "food_ok": True, "clothing_ok": True, "education_ok": True, "medical_ok": True, "housing_ok": True,
            "water_ok": True, "food_evidence": "口粮充足", "housing_evidence": "住房安全鉴定为A/B级",
            "democratic_review_on": review, "democratic_review_result": "同意退出",
            "village_verified_on": review + timedelta(days=3), "head_confirmed": True,
            "head_confirmed_on": review + timedelta(days=4), "publicity_start": review + timedelta(days=5),
            "publicity_end": review + timedelta(days=12), "township_reviewed_on": review + timedelta(days=15),
            "county_approved_on": review + timedelta(days=25), "decision": "通过",
            "resulting_status": "已脱贫（享受政策）", "resulting_exit_year": year,
        })

    FLUSH_ORDER = (Village, VillageGroup, Helper, Household, Member, Assignment, HelpPlan, IncomeRecord, Measure,
                   Visit, ExitAssessment)

    def flush(self, session: Session) -> None:
        for model in self.FLUSH_ORDER:
            rows = self.rows.pop(model, None)
            if rows:
                session.execute(insert(model.__table__), rows)


def generate(
    session: Session, options: DemoOptions, progress: Callable[[int, int], None] | None = None
) -> DemoResult:
    """Add one township of synthetic data to the database in ``session``."""
    if options.households < 1:
        raise DemoError("户数必须大于 0")
    if not (options.township_code.isdigit() and len(options.township_code) == 12):
        raise DemoError(f"乡镇代码“{options.township_code}”应为12位数字（统计用区划代码，如 411726100000）")
    if not options.township_code.startswith(options.county_code):
        raise DemoError(f"乡镇代码“{options.township_code}”不属于县“{options.county_code}”")
    gen = _Generator(options, session)
    povertylines.seed_defaults(session)
    township_id, villages = gen.ensure_regions(session)
    helper_count = max(1, options.households // 5)
    helpers = gen.helpers(township_id, helper_count)
    gen.flush(session)
    per_village = [0] * len(villages)
    members_before = gen.ids.next[Member]
    for i in range(options.households):
        v = i % len(villages)
        per_village[v] += 1
        gen.household(villages[v], per_village[v], helpers)
        if (i + 1) % CHUNK == 0:
            gen.flush(session)
            if progress:
                progress(i + 1, options.households)
    gen.flush(session)
    tables = [m.__table__ for m in _Generator.FLUSH_ORDER]
    after_explicit_ids(session, tables)  # once: the rows above carry ids handed out in Python
    after_bulk_load(session, tables)
    if progress:
        progress(options.households, options.households)
    return DemoResult(
        households=options.households,
        members=gen.ids.next[Member] - members_before,
        helpers=helper_count,
        villages=len(villages),
    )
