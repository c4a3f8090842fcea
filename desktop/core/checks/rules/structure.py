"""Household structure (domain.md §2.4 and §5.2.3)."""

from __future__ import annotations

from itertools import compress
from operator import and_, eq, ne, sub

from desktop.core.checks.engine import ERROR, WARNING, Finding, rule
from desktop.core.checks.rules._common import relation_sexes

CAT = "家庭结构"

CHILDREN = {"之子": 1, "之女": 1, "之孙子": 2, "之孙女": 2, "之外孙子": 2, "之外孙女": 2}
PARENTS = {"之父": 1, "之母": 1, "之岳父": 1, "之岳母": 1, "之公公": 1, "之婆婆": 1,
           "之祖父": 2, "之祖母": 2, "之外祖父": 2, "之外祖母": 2}


@rule("STR01", ERROR, "无户主", category=CAT, needs=("member.relation",),
      description="有在册成员，但没有“与户主关系”为户主的成员。")
def no_head(ds):
    for hv in ds.households:
        if hv.n_heads == 0 and hv.current:
            yield Finding(hv, "在册成员中没有户主")


@rule("STR02", ERROR, "户主多于一人", category=CAT, needs=("member.relation",),
      description="在册成员中有两名或以上户主。")
def several_heads(ds):
    for hv in ds.households:
        if hv.n_heads > 1:
            heads = [m for m in hv.current if m.relation == "户主"]
            yield Finding(hv, f"有 {len(heads)} 名户主：{'、'.join(m.name for m in heads)}", heads[1], "relation",
                          value="户主")


@rule("STR03", ERROR, "配偶多于一人", category=CAT, needs=("member.relation",),
      description="在册成员中有两名或以上配偶。")
def several_spouses(ds):
    for hv in ds.households:
        if hv.n_spouses > 1:
            spouses = [m for m in hv.current if m.relation == "配偶"]
            yield Finding(hv, f"有 {len(spouses)} 名配偶：{'、'.join(m.name for m in spouses)}", spouses[1],
                          "relation", value="配偶")


def _head_sexes(ds) -> dict:
    found = ds._cache.get("head_sexes")
    if found is None:
        found = ds._cache["head_sexes"] = {hv.key: hv.head.sex for hv in ds.households
                                           if hv.head is not None and hv.head.sex in ("男", "女")}
    return found


@rule("STR04", ERROR, "户主与配偶性别相同", category=CAT, needs=("member.relation", "member.sex"),
      description="户主与配偶的性别相同。")
def head_spouse_same_sex(ds):
    # C-level: spouses whose sex equals their household head's sex
    same = map(eq, ds.values("sex"), ds.per_household(_head_sexes(ds), None))
    spouse = map(frozenset(("配偶",)).__contains__, ds.values("relation"))
    reported = set()
    for m in compress(ds.members, map(and_, spouse, same)):
        hv = ds.hv_of(m)
        if hv.uuid not in reported and hv.head is not None:
            reported.add(hv.uuid)
            yield Finding(hv, f"配偶与户主 {hv.head.name} 同为“{m.sex}”", m, "sex", value=m.sex)


@rule("STR05", WARNING, "与户主关系与性别不符", category=CAT, needs=("member.relation", "member.sex"),
      description="与户主关系隐含的性别（之子为男、之女为女、之母为女…）与登记的性别不符。")
def relation_sex(ds):
    implied = relation_sexes()
    expected = list(map(implied.get, ds.values("relation")))
    known = map(frozenset(("男", "女")).__contains__, ds.values("sex"))
    differs = map(and_, map(bool, expected), map(ne, expected, ds.values("sex")))
    for m in compress(ds.members, map(and_, known, differs)):
        want = implied[m.relation]
        yield Finding(ds.hv_of(m), f"“{m.relation}”应为{want}性，登记为“{m.sex}”", m, "relation", value=m.relation)


@rule("STR06", ERROR, "家庭人口数与在册成员数不符", category=CAT, needs=("household.household_size",),
      description="家庭人口数不等于在册成员（成员状态不是“自然减少”）的人数。人口变动应通过成员的增减记录体现。")
def size_mismatch(ds):
    for hv in ds.households:
        size = hv.row.household_size
        if hv.current and size is not None and size != len(hv.current):
            yield Finding(hv, f"家庭人口数为 {size}，在册成员 {len(hv.current)} 人", field="household_size",
                          value=size)


@rule("STR07", ERROR, "空户（无成员）", category=CAT, needs=(),
      description="户下没有任何成员记录。")
def empty_household(ds):
    for hv in ds.households:
        if not hv.members:
            yield Finding(hv, "户下没有任何成员")


@rule("STR08", ERROR, "成员无所属户", category=CAT, needs=(),
      description="成员记录所属的户不存在（只在检查整个数据库时发现）。")
def orphan_members(ds):
    for m in ds.orphans:
        yield Finding(None, f"证件号码 {m.id_number or '未填'}，所属的户（内部编号 {m.household_id}）不存在", m,
                      entity="member")


@rule("STR09", WARNING, "贫困户空挂（成员均已减少）", category=CAT, needs=(),
      description="户下的成员全部为“自然减少”（死亡、迁出…），户仍挂在册中；应注销该户或登记新的户主。")
def hollow_household(ds):
    for hv in ds.households:
        if hv.members and not hv.current:
            yield Finding(hv, f"{len(hv.members)} 名成员均已自然减少，户仍在册")


def _gap_rule(ds, table: dict[str, int], younger: bool):
    gap = ds.settings.min_generation_gap
    head_years = ds._cache.get("head_years")
    if head_years is None:
        head_years = {}
        for hv in ds.households:
            born = ds.birth(hv.head) if hv.head is not None else None
            if born is not None:
                head_years[hv.key] = born.year
        ds._cache["head_years"] = head_years
    # A C-level pre-filter on birth years (the age difference is the difference of birth years);
    # the exact test runs in Python for the few candidates.
    years = ds.birth_years()
    widest = gap * max(table.values())
    if younger:  # a child born less than `need` years after the head
        diffs = map(sub, years, ds.per_household(head_years, -10**6))
    else:  # a parent born less than `need` years before the head
        diffs = map(sub, ds.per_household(head_years, 10**6), years)
    close = map(widest.__gt__, diffs)
    related = map(frozenset(table).__contains__, ds.values("relation"))
    for m in compress(ds.members, map(and_, related, close)):
        hv = ds.hv_of(m)
        head = hv.head
        head_age = ds.age(head) if head is not None else None
        age = ds.age(m)
        if head_age is None or age is None:
            continue
        need = gap * table[m.relation]
        if (head_age - age < need) if younger else (age - head_age < need):
            yield Finding(hv, f"“{m.relation}”{age}岁，户主 {head.name} {head_age}岁，年龄差小于{need}岁", m,
                          "birth_date", value=m.birth_date)


@rule("STR10", WARNING, "子女或孙辈年龄不合理", category=CAT,
      needs=("member.relation", "member.birth_date"), settings=("ages.min_generation_gap",),
      description="之子/之女比户主年轻不足 min_generation_gap 岁，或孙辈比户主年轻不足其两倍。")
def children_too_old(ds):
    yield from _gap_rule(ds, CHILDREN, younger=True)


@rule("STR11", WARNING, "父母或祖辈年龄不合理", category=CAT,
      needs=("member.relation", "member.birth_date"), settings=("ages.min_generation_gap",),
      description="之父/之母/岳父母/公婆比户主年长不足 min_generation_gap 岁，或祖辈年长不足其两倍。")
def parents_too_young(ds):
    yield from _gap_rule(ds, PARENTS, younger=False)
