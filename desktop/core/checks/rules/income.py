"""Income accounting of the check year (domain.md §1.4 and §5.2.8).

Totals and per-capita income are always computed (desktop.core.income), never
typed in; the "人均 ≠ 纯收入/人口" check of the national system becomes "the
population the accounting divides by differs from the household's members".
"""

from __future__ import annotations

from desktop.core.checks.engine import ERROR, WARNING, Finding, rule
from desktop.core.checks.rules._common import cents, yuan
from desktop.core.income import TRANSFER_ITEMS

CAT = "收入"
AMOUNTS = ("wage", "production", "property_income", "transfer", *TRANSFER_ITEMS, "production_expense")


def _records(ds):
    return ds.year_incomes


def _fin(hv, r, text, field=None, value=None):
    return Finding(hv, text, field=field, entity="income", entity_uuid=r.uuid, value=value)


@rule("INC01", WARNING, "有生产经营性收入但支出为0", category=CAT,
      needs=("income_record.production", "income_record.production_expense"),
      description="检查年度生产经营性收入大于0，生产经营性支出为空或0。")
def production_without_expense(ds):
    for hv, r in _records(ds):
        if cents(r.production) > 0 and cents(r.production_expense) <= 0:
            yield _fin(hv, r, f"{ds.year}年度生产经营性收入 {yuan(r.production)} 元，支出为0", "production_expense")




@rule("INC02", ERROR, "人均纯收入为空或不大于0", category=CAT, needs=("income_record.*",),
      description="检查年度没有收入记录，或核算人口为空/0，或年人均纯收入不大于0。")
def per_capita_missing(ds):
    year = ds.year
    if len(ds.year_incomes) < len(ds.households):
        for hv in ds.households:
            if year not in hv.incomes and hv.current:
                yield Finding(hv, f"没有{year}年度收入记录，无法核算人均纯收入", entity="household")
    for (hv, r), pc in zip(ds.year_incomes, ds.year_per_capita(), strict=True):
        if (pc is not None and pc > 0) or not hv.current:
            continue
        if pc is None:
            yield _fin(hv, r, f"{year}年度核算人口为空或0，无法核算人均纯收入", "population", r.population)
        elif pc <= 0:
            yield _fin(hv, r, f"{year}年度人均纯收入为 {pc / 100:.2f} 元", "population", f"{pc / 100:.2f}")


@rule("INC03", ERROR, "人均纯收入过高", category=CAT, needs=("income_record.*",),
      settings=("thresholds.per_capita_income_max",),
      description="检查年度年人均纯收入超过 per_capita_income_max（默认100000元）。")
def per_capita_too_high(ds):
    limit = ds.settings.per_capita_income_max
    limit_cents = round(limit * 100)
    for (hv, r), pc in zip(ds.year_incomes, ds.year_per_capita(), strict=True):
        if pc is not None and pc > limit_cents:
            yield _fin(hv, r, f"{ds.year}年度人均纯收入 {pc / 100:.2f} 元，超过 {limit:g} 元", None, f"{pc / 100:.2f}")


@rule("INC04", WARNING, "有工资性收入但无务工成员", category=CAT,
      needs=("income_record.wage", "member.work_location", "member.work_months", "member.public_job_months"),
      description="检查年度工资性收入大于0，但没有成员有务工记录（务工所在地/时间）或公益性岗位。")
def wage_without_workers(ds):
    working = ds.household_ids_of([*ds.truthy("work_location"), *ds.truthy("work_months"),
                                   *ds.truthy("public_job_months")])
    for hv, r in _records(ds):
        if r.wage and hv.current and hv.key not in working and cents(r.wage) > 0:
            yield _fin(hv, r, f"{ds.year}年度工资性收入 {yuan(r.wage)} 元，但没有成员务工", "wage", r.wage)


@rule("INC05", WARNING, "有务工成员但工资性收入为0", category=CAT,
      needs=("income_record.wage", "member.work_location", "member.work_months"),
      description="有成员务工（务工所在地和务工时间都有值），但检查年度工资性收入为空或0。")
def workers_without_wage(ds):
    working = ds.household_ids_of(m for m in ds.truthy("work_location") if (m.work_months or 0) > 0)
    for hv, r in _records(ds):
        if hv.key not in working or cents(r.wage) > 0:
            continue
        workers = [m.name for m in hv.current if m.work_location and (m.work_months or 0) > 0]
        if workers:
            yield _fin(hv, r, f"{'、'.join(workers)} 务工，{ds.year}年度工资性收入却为0", "wage", r.wage)


@rule("INC06", ERROR, "核算人口与在册成员数不符", category=CAT, needs=("income_record.population",),
      description="检查年度收入记录的核算人口（人均纯收入的除数）不等于在册成员人数。")
def population_mismatch(ds):
    for hv, r in _records(ds):
        if hv.current and r.population is not None and r.population != len(hv.current):
            yield _fin(hv, r, f"{ds.year}年度核算人口为 {r.population}，在册成员 {len(hv.current)} 人", "population",
                       r.population)


@rule("INC07", ERROR, "转移性收入其中项之和超过转移性收入", category=CAT,
      needs=("income_record.transfer", *(f"income_record.{n}" for n in TRANSFER_ITEMS)),
      description="计划生育金、低保金、五保金、养老保险金、生态补偿金、其他转移性收入之和大于转移性收入。")
def transfer_items_exceed(ds):
    for hv, r in _records(ds):
        try:  # a quick float test first; amounts have 2 decimals, so an excess is at least 0.01
            rough = ((r.transfer_family_planning or 0) + (r.transfer_dibao or 0) + (r.transfer_wubao or 0)
                     + (r.transfer_pension or 0) + (r.transfer_eco or 0) + (r.transfer_other or 0))
            if rough - (r.transfer or 0) < 0.005:
                continue
        except TypeError:  # Decimal mixed with float in an edited ORM object: the exact test decides
            pass
        total = sum(cents(getattr(r, n)) for n in TRANSFER_ITEMS)
        if total > cents(r.transfer):
            yield _fin(hv, r, f"{ds.year}年度其中项合计 {total / 100:.2f} 元，大于转移性收入 {yuan(r.transfer)} 元", "transfer",
                       r.transfer)


@rule("INC08", ERROR, "收入金额为负数", category=CAT, needs=tuple(f"income_record.{n}" for n in AMOUNTS),
      description="检查年度收入记录中有负数金额。")
def negative_amount(ds):
    for hv, r in _records(ds):
        if min(r.wage or 0, r.production or 0, r.property_income or 0, r.transfer or 0,
               r.transfer_family_planning or 0, r.transfer_dibao or 0, r.transfer_wubao or 0,
               r.transfer_pension or 0, r.transfer_eco or 0, r.transfer_other or 0, r.production_expense or 0) >= 0:
            continue
        for name in AMOUNTS:
            value = getattr(r, name)
            if value is not None and cents(value) < 0:
                yield _fin(hv, r, f"{ds.year}年度金额为 {yuan(value)} 元", name, value)
                break
