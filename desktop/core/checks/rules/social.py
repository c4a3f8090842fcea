"""低保 / 五保 (特困供养) consistency (domain.md §2.2 and §5.2.6)."""

from __future__ import annotations

from desktop.core.checks.engine import WARNING, Finding, rule
from desktop.core.checks.rules._common import UNABLE, cents, yuan

CAT = "低保五保"
DIBAO = "低保贫困户"
TEKUN = "特困供养贫困户"
ORDINARY = "一般贫困户"


def _attr(hv) -> str:
    a = hv.row.attribute or ""
    return TEKUN if a == "五保贫困户" else a


def _with_attribute(ds, attribute: str):
    values = (TEKUN, "五保贫困户") if attribute == TEKUN else (attribute,)
    return ds.hh_where("attribute", values)


@rule("SOC01", WARNING, "低保贫困户无享受低保的成员", category=CAT,
      needs=("household.attribute", "member.on_dibao"),
      description="贫困户属性为低保贫困户，但没有成员“是否享受低保”为是。")
def dibao_without_member(ds):
    for hv in _with_attribute(ds, DIBAO):
        if hv.current and not any(m.on_dibao for m in hv.current):
            yield Finding(hv, "属性为低保贫困户，但没有成员享受低保", field="attribute", value=hv.row.attribute)


@rule("SOC02", WARNING, "一般贫困户有享受低保或特困供养的成员", category=CAT,
      needs=("household.attribute", "member.on_dibao", "member.on_tekun"),
      description="贫困户属性为一般贫困户，但有成员享受低保或特困供养。")
def ordinary_with_dibao_member(ds):
    reported = set()
    for column, what in (("on_dibao", "享受低保"), ("on_tekun", "特困供养")):
        for m in ds.truthy(column):
            hv = ds.hv_of(m)
            if _attr(hv) == ORDINARY and hv.uuid not in reported:
                reported.add(hv.uuid)
                yield Finding(hv, f"属性为一般贫困户，该成员却{what}", m, column, value=True)


@rule("SOC03", WARNING, "一般贫困户有低保金或五保金", category=CAT,
      needs=("household.attribute", "income_record.transfer_dibao", "income_record.transfer_wubao"),
      description="一般贫困户在检查年度的收入中有低保金或五保金（特困供养金）。")
def ordinary_with_dibao_money(ds):
    for hv in _with_attribute(ds, ORDINARY):
        r = ds.income(hv)
        if r is None:
            continue
        for field in ("transfer_dibao", "transfer_wubao"):
            if cents(getattr(r, field)) > 0:
                yield Finding(hv, f"{ds.year}年度属性为一般贫困户，却有此项收入 {yuan(getattr(r, field))} 元",
                              field=field, entity="income", entity_uuid=r.uuid, value=getattr(r, field))
                break


@rule("SOC04", WARNING, "特困供养户有劳动年龄且有劳动能力的成员", category=CAT,
      needs=("household.attribute", "member.birth_date", "member.labour_skill"), settings=("ages.working",),
      description="特困供养（五保）贫困户有年龄在劳动年龄区间（默认16–65岁）内、劳动技能不是“丧失劳动力/无劳动力”的成员。")
def tekun_with_worker(ds):
    low, high = ds.settings.working_age
    for hv in _with_attribute(ds, TEKUN):
        for m in hv.current:
            age = ds.age(m)
            if age is not None and low <= age <= high and m.labour_skill not in UNABLE:
                yield Finding(hv, f"特困供养户成员{age}岁、劳动技能为“{m.labour_skill or '未填'}”", m, "labour_skill",
                              value=m.labour_skill)
                break


@rule("SOC05", WARNING, "同时领取低保金和五保金", category=CAT,
      needs=("income_record.transfer_dibao", "income_record.transfer_wubao"),
      description="同一户同一年度既有低保金又有五保金（特困供养金）。")
def both_dibao_and_wubao(ds):
    for hv, r in ds.year_incomes:
        if r.transfer_dibao and r.transfer_wubao and cents(r.transfer_dibao) > 0 and cents(r.transfer_wubao) > 0:
            yield Finding(hv, f"{ds.year}年度低保金 {yuan(r.transfer_dibao)} 元、五保金 {yuan(r.transfer_wubao)} 元",
                          field="transfer_wubao", entity="income", entity_uuid=r.uuid)


@rule("SOC06", WARNING, "低保贫困户低保金为0", category=CAT,
      needs=("household.attribute", "income_record.transfer_dibao"),
      description="低保贫困户在检查年度的低保金为空或0。")
def dibao_zero(ds):
    for hv in _with_attribute(ds, DIBAO):
        r = ds.income(hv)
        if r is not None and cents(r.transfer_dibao) <= 0:
            yield Finding(hv, f"{ds.year}年度属性为低保贫困户，低保金为0", field="transfer_dibao", entity="income",
                          entity_uuid=r.uuid, value=r.transfer_dibao)


@rule("SOC07", WARNING, "特困供养户五保金为0", category=CAT,
      needs=("household.attribute", "income_record.transfer_wubao"),
      description="特困供养（五保）贫困户在检查年度的五保金为空或0。")
def wubao_zero(ds):
    for hv in _with_attribute(ds, TEKUN):
        r = ds.income(hv)
        if r is not None and cents(r.transfer_wubao) <= 0:
            yield Finding(hv, f"{ds.year}年度属性为特困供养贫困户，五保金为0", field="transfer_wubao", entity="income",
                          entity_uuid=r.uuid, value=r.transfer_wubao)


@rule("SOC08", WARNING, "成员同时享受低保和特困供养", category=CAT, needs=("member.on_dibao", "member.on_tekun"),
      description="同一成员“是否享受低保”和“是否特困供养”都为是。")
def member_both(ds):
    for m in ds.truthy("on_dibao"):
        if m.on_tekun:
            yield Finding(ds.hv_of(m), "同时享受低保和特困供养", m, "on_tekun", value=True)
