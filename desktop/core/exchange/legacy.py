"""Import of an arbitrary 花名册 workbook (one row per person) by column mapping.

The clerk's own roster has its own headers. :func:`read_table` finds the header row,
:func:`suggest_mapping` proposes a field for each column (remembered mappings first, then the
models' labels and common aliases), :func:`plan_legacy` validates every mapped cell with the same
parsers as the exchange import and groups rows into households, and :func:`apply_legacy` writes in
the caller's transaction through the ORM (so every new and changed record is in the audit log).

Matching: a person whose 证件号码 is already in the database is updated (only the mapped fields);
a household is matched by 行政村 + 户编号. Everything else is new. Nothing is deleted. Mappings
are remembered in the ``setting`` table under ``exchange.legacy_mappings`` (JSON).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Household, Member, Setting, Village, VillageGroup
from desktop.core.exchange import format as fmt
from desktop.core.exchange.errors import ERROR, WARNING, ExchangeError, ImportRejected, Problem
from desktop.core.exchange.importer import PARSERS, CellError, _is_empty, open_workbook
from desktop.core.idnumber import IdNumberError
from desktop.core.idnumber import parse as parse_id
from desktop.core.progress import NULL_PROGRESS, Progress

MAPPINGS_KEY = "exchange.legacy_mappings"
HEADER_SCAN_ROWS = 15
IGNORE = ""


@dataclass(frozen=True)
class LegacyField:
    key: str  # "m.name", "hh.attribute", "village", "group", "head_id_number"
    label: str
    aliases: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return self.key.split(".", 1)[0] if "." in self.key else self.key

    @property
    def attr(self) -> str | None:
        return self.key.split(".", 1)[1] if "." in self.key else None

    def column(self) -> fmt.Column | None:
        if self.attr is None:
            return None
        sheet = fmt.sheet_by_key()["members" if self.target == "m" else "households"]
        return sheet.column(self.attr)


def _f(key: str, *aliases: str, label: str | None = None) -> LegacyField:
    if label is None:
        target, attr = key.split(".", 1)
        model = Member if target == "m" else Household
        label = model.__table__.columns[attr].info["label"]
    return LegacyField(key, label, aliases)


FIELDS: tuple[LegacyField, ...] = (
    LegacyField("village", "村名称", ("行政村", "村", "所在村", "村委会", "行政村名称")),
    LegacyField("group", "村民小组", ("组", "小组", "村组", "组别")),
    _f("hh.household_number", "户号", "户编码", "贫困户编号", "户编号"),
    LegacyField("head_id_number", "户主证件号码", ("户主身份证号", "户主身份证号码", "户主证件号")),
    _f("hh.phone", "户联系电话", "家庭电话", "户电话"),
    _f("hh.address", "住址", "地址", "家庭地址"),
    _f("hh.bank_name", "开户行"),
    _f("hh.bank_account", "银行卡号", "一卡通账号", "账号", "银行帐号"),
    _f("hh.identification_standard"),
    _f("hh.attribute", "贫困户类型", "贫困户属性", "户属性"),
    _f("hh.main_cause", "致贫原因", "主要致贫原因"),
    _f("hh.other_cause_1", "其他致贫原因"),
    _f("hh.identification_year", "识别时间", "建档年度", "纳入年度"),
    _f("hh.exit_status", "是否脱贫", "脱贫情况", "脱贫属性"),
    _f("hh.exit_year", "脱贫时间", "计划脱贫时间"),
    _f("m.seq", "序号", "编号"),
    _f("m.name", "成员姓名", "名字", "姓名"),
    _f("m.sex"),
    _f("m.id_type"),
    _f("m.id_number", "身份证号", "身份证号码", "公民身份号码", "证件号", "身份证"),
    _f("m.birth_date", "出生年月", "出生年月日", "生日"),
    _f("m.relation", "与户主关系", "家庭关系", "关系"),
    _f("m.ethnicity", "民族"),
    _f("m.political_status"),
    _f("m.education", "学历", "文化"),
    _f("m.student_status", "在校情况", "在校生情况"),
    _f("m.health", "健康情况", "身体状况"),
    _f("m.disability_type", "残疾类型"),
    _f("m.disability_grade", "残疾级别"),
    _f("m.disability_cert_no", "残疾证号码", "残疾证号"),
    _f("m.labour_skill", "劳动能力", "劳动力状况"),
    _f("m.work_location", "务工地点", "务工状况"),
    _f("m.work_months", "务工时间（月）", "务工月数", "务工时间"),
    _f("m.on_dibao", "享受低保", "低保"),
    _f("m.on_tekun", "特困供养", "五保"),
    _f("m.in_rural_medical", "是否参加新型农村合作医疗", "参加新农合", "新农合",
       "是否参加新型农村合作医疗（城乡居民基本医疗保险）"),
    _f("m.in_serious_illness_insurance", "大病保险"),
    _f("m.in_rural_pension", "养老保险", "新农保"),
    _f("m.phone", "成员电话", "手机号", "手机", "联系电话"),
    _f("m.status", "人员状态"),
    _f("m.change_reason", "减少原因"),
    _f("m.note"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
REQUIRED = ("m.name",)


def _norm(text: str) -> str:
    text = re.sub(r"\s+", "", str(text))
    return text.replace("（", "(").replace("）", ")").replace("：", "").replace(":", "").lower()


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for f in FIELDS:
        table.setdefault(_norm(f.label), f.key)
    for f in FIELDS:
        for a in f.aliases:
            table.setdefault(_norm(a), f.key)
    return table


@dataclass
class LegacyTable:
    path: Path
    sheet: str
    sheets: list[str]
    header_row: int  # 1-based
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (1-based row number, cells)

    @property
    def signature(self) -> str:
        return hashlib.sha1("\x1f".join(self.headers).encode("utf-8")).hexdigest()


def read_table(path: str | Path, sheet: str | None = None, header_row: int | None = None) -> LegacyTable:
    """The sheet's header row (found among the first rows when not given) and its data rows."""
    path = Path(path)
    wb = open_workbook(path)
    try:
        names = [m.name for m in wb.sheets_metadata
                 if m.visible == python_calamine.SheetVisibleEnum.Visible] or wb.sheet_names
        if sheet is None:
            sheet = fmt.ROSTER_SHEET if fmt.ROSTER_SHEET in names else names[0]
        if sheet not in wb.sheet_names:
            raise ExchangeError(f"工作簿“{path.name}”中没有工作表“{sheet}”。", code="no_sheet")
        data = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        wb.close()
    if not data:
        raise ExchangeError(f"工作表“{sheet}”是空的。", code="empty_sheet")
    if header_row is None:
        lookup = _lookup()
        best, best_score = 1, -1
        for i, row in enumerate(data[:HEADER_SCAN_ROWS], 1):
            score = sum(1 for v in row if isinstance(v, str) and _norm(v) in lookup)
            if score > best_score:
                best, best_score = i, score
        header_row = best
    if header_row < 1 or header_row > len(data):
        raise ExchangeError(f"表头行 {header_row} 超出工作表范围。", code="header_row")
    headers = ["" if _is_empty(h) else str(h).strip() for h in data[header_row - 1]]
    rows = [(i, list(r)) for i, r in enumerate(data[header_row:], header_row + 1)
            if not all(_is_empty(v) for v in r)]
    return LegacyTable(path, sheet, names, header_row, headers, rows)


# ----------------------------------------------------------------------------- mappings

def _load_memory(session: Session) -> dict[str, Any]:
    row = session.get(Setting, MAPPINGS_KEY)
    if row is None or not row.value:
        return {"by_signature": {}, "by_header": {}}
    try:
        memory = json.loads(row.value)
    except ValueError:
        return {"by_signature": {}, "by_header": {}}
    memory.setdefault("by_signature", {})
    memory.setdefault("by_header", {})
    return memory


def suggest_mapping(session: Session | None, table: LegacyTable) -> dict[int, str]:
    """Column index -> field key ('' = ignore): remembered mapping of this exact header row, else
    remembered per-header choices, else labels and aliases."""
    memory = _load_memory(session) if session is not None else {"by_signature": {}, "by_header": {}}
    exact = memory["by_signature"].get(table.signature)
    if exact:
        return {i: exact.get(h, IGNORE) for i, h in enumerate(table.headers)}
    lookup = _lookup()
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for i, h in enumerate(table.headers):
        key = memory["by_header"].get(h)
        if key is None:
            key = lookup.get(_norm(h), IGNORE) if h else IGNORE
        if key and key in used:
            key = IGNORE
        mapping[i] = key if key in FIELD_BY_KEY or key == IGNORE else IGNORE
        if mapping[i]:
            used.add(mapping[i])
    return mapping


def remember_mapping(session: Session, table: LegacyTable, mapping: dict[int, str]) -> None:
    memory = _load_memory(session)
    by_header = {table.headers[i]: key for i, key in mapping.items() if i < len(table.headers) and table.headers[i]}
    memory["by_signature"][table.signature] = by_header
    memory["by_header"].update({h: k for h, k in by_header.items() if k})
    text = json.dumps(memory, ensure_ascii=False)
    row = session.get(Setting, MAPPINGS_KEY)
    if row is None:
        session.add(Setting(key=MAPPINGS_KEY, value=text))
    else:
        row.value = text


# ----------------------------------------------------------------------------- planning

@dataclass
class LegacyHousehold:
    key: tuple
    village_id: int
    group_id: int | None
    values: dict[str, Any]
    members: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    existing_id: int | None = None


@dataclass
class LegacyPlan:
    table: LegacyTable
    mapping: dict[int, str]
    households: list[LegacyHousehold] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new_households: int = 0
    matched_households: int = 0
    new_members: int = 0
    updated_members: int = 0
    unchanged_members: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def summary_text(self) -> str:
        return (f"新增 {self.new_households} 户、{self.new_members} 人；更新已有 {self.matched_households} 户、"
                f"{self.updated_members} 人；不变 {self.unchanged_members} 人；错误 {len(self.errors)} 个")


def plan_legacy(session: Session, table: LegacyTable, mapping: dict[int, str], *, default_village: str | None = None,
                progress: Progress | None = None) -> LegacyPlan:
    progress = progress or NULL_PROGRESS
    plan = LegacyPlan(table, dict(mapping))
    title = table.sheet
    from openpyxl.utils import get_column_letter

    def problem(row: int | None, col: int | None, value: Any, message: str, level: str = ERROR, code: str = "") -> None:
        header = table.headers[col] if col is not None and col < len(table.headers) else None
        plan.problems.append(Problem(title, row, header, value, message, level, code,
                                     get_column_letter(col + 1) if col is not None else None))

    chosen = {k: i for i, k in mapping.items() if k}
    for key in REQUIRED:
        if key not in chosen:
            problem(table.header_row, None, None, f"必须指定哪一列是“{FIELD_BY_KEY[key].label}”", code="unmapped")
    if "village" not in chosen and not default_village:
        problem(table.header_row, None, None, "请指定“村名称”列，或选择所有人所属的村", code="unmapped")
    if plan.problems:
        return plan
    villages = {}
    for vid, code, name in session.execute(select(Village.id, Village.code, Village.name)):
        villages[name] = vid
        villages[code] = vid
    groups = {(vid, name): gid for gid, vid, name in session.execute(
        select(VillageGroup.id, VillageGroup.village_id, VillageGroup.name))}
    existing_hh = {(vid, num): hid for hid, vid, num in session.execute(
        select(Household.id, Household.village_id, Household.household_number))}
    households: OrderedDict[tuple, LegacyHousehold] = OrderedDict()
    current: LegacyHousehold | None = None
    seen_ids: dict[str, int] = {}
    ids_in_file: list[str] = []
    for n, (row_no, cells) in enumerate(table.rows, 1):
        values: dict[str, Any] = {}
        bad = False
        for key, col in chosen.items():
            raw = cells[col] if col < len(cells) else None
            if _is_empty(raw):
                continue
            f = FIELD_BY_KEY[key]
            column = f.column()
            try:
                if column is None:
                    values[key] = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
                    if key == "head_id_number":
                        values[key] = PARSERS[fmt.TEXT](raw, fmt.sheet_by_key()["members"].column("id_number"))
                else:
                    values[key] = PARSERS[column.kind](raw, column)
            except CellError as exc:
                problem(row_no, col, raw, str(exc), code=exc.code)
                bad = True
        if "m.name" not in values:
            problem(row_no, chosen["m.name"], None, "姓名不能为空", code="required")
            bad = True
        number = values.get("m.id_number")
        if number:
            if number in seen_ids:
                problem(row_no, chosen["m.id_number"], number, f"证件号码重复（与第 {seen_ids[number]} 行相同）",
                        code="duplicate_id")
                bad = True
            seen_ids[number] = row_no
            if values.get("m.id_type") in (None, "居民身份证"):
                try:
                    parse_id(number)
                except IdNumberError as exc:
                    problem(row_no, chosen["m.id_number"], number, f"身份证号码有误：{exc.reason}", WARNING,
                            f"id_{exc.code}")
        village_name = values.get("village") or default_village
        vid = villages.get(village_name) if village_name else None
        if vid is None:
            problem(row_no, chosen.get("village"), village_name, "数据库中没有这个村，请先在村信息中建立", code="village")
            bad = True
        if bad:
            continue
        gid = groups.get((vid, values["group"])) if values.get("group") else None
        if values.get("group") and gid is None:
            problem(row_no, chosen.get("group"), values["group"], "该村没有这个村民小组，已留空", WARNING, "group")
        hh_values = {k[3:]: v for k, v in values.items() if k.startswith("hh.")}
        member = {k[2:]: v for k, v in values.items() if k.startswith("m.")}
        if "hh.household_number" in values:
            key = (vid, values["hh.household_number"])
        elif "head_id_number" in values:
            key = (vid, "head", values["head_id_number"])
        elif member.get("relation") == "户主" or current is None or current.village_id != vid:
            key = (vid, "row", row_no)
        else:
            key = current.key
        household = households.get(key)
        if household is None:
            household = LegacyHousehold(key, vid, gid, hh_values)
            if "hh.household_number" in values:
                household.existing_id = existing_hh.get((vid, values["hh.household_number"]))
            households[key] = household
        household.members.append((row_no, member))
        if number:
            ids_in_file.append(number)
        current = household
        if n % 2000 == 0:
            progress.update(n, len(table.rows), f"正在检查第 {n} 行…")
    if plan.has_errors:
        return plan
    existing_members: dict[str, Member] = {}
    for start in range(0, len(ids_in_file), 500):
        chunk = ids_in_file[start:start + 500]
        for m in session.scalars(select(Member).where(Member.id_number.in_(chunk))):
            existing_members[m.id_number] = m
    for household in households.values():
        if household.existing_id is None:
            matched = {existing_members[m["id_number"]].household_id for _r, m in household.members
                       if m.get("id_number") in existing_members}
            if len(matched) == 1:
                household.existing_id = matched.pop()
        if household.existing_id is None:
            plan.new_households += 1
        else:
            plan.matched_households += 1
        for _row_no, m in household.members:
            old = existing_members.get(m.get("id_number") or "")
            if old is None:
                plan.new_members += 1
            elif any(fmt.canonical_text(getattr(old, k)) != fmt.canonical_text(v) for k, v in m.items()):
                plan.updated_members += 1
            else:
                plan.unchanged_members += 1
    plan.households = list(households.values())
    return plan


def apply_legacy(session: Session, plan: LegacyPlan, *, operator: str | None = None,
                 progress: Progress | None = None) -> LegacyPlan:
    """Write a plan without errors through the ORM (audited); the caller commits."""
    progress = progress or NULL_PROGRESS
    if plan.has_errors:
        raise ImportRejected(f"花名册有 {len(plan.errors)} 个错误，未导入任何数据。", plan.problems,
                             path=str(plan.table.path))
    session.info["operator"] = operator
    for n, lh in enumerate(plan.households, 1):
        if lh.existing_id is not None:
            household = session.get(Household, lh.existing_id)
            for attr, value in lh.values.items():
                if value is not None and getattr(household, attr) != value:
                    setattr(household, attr, value)
        else:
            household = Household(village_id=lh.village_id, group_id=lh.group_id, **lh.values)
            session.add(household)
        by_number = {m.id_number: m for m in household.members if m.id_number}
        next_seq = max((m.seq or 0 for m in household.members), default=0) + 1
        for _row_no, values in lh.members:
            member = by_number.get(values.get("id_number") or "")
            if member is None and values.get("id_number"):
                member = session.scalar(select(Member).where(Member.id_number == values["id_number"]))
            if member is None:
                values = dict(values)
                values.setdefault("seq", next_seq)
                next_seq = max(next_seq, values["seq"]) + 1
                household.members.append(Member(**values))
            else:
                for attr, value in values.items():
                    if getattr(member, attr) != value:
                        setattr(member, attr, value)
        if lh.existing_id is None:
            household.household_size = len(household.members)
        if n % 200 == 0:
            session.flush()
            progress.update(n, len(plan.households), f"正在写入第 {n} 户…")
    remember_mapping(session, plan.table, plan.mapping)
    session.flush()
    return plan
