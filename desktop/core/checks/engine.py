"""The rules engine: registry, problems, and running rules over a data set.

A rule is a plain function ``fn(ds: Dataset) -> Iterable[Finding]`` registered
with :func:`rule`. It walks the whole data set itself (one Python loop per rule,
no per-household function calls), so a run over 100,000 households stays within
seconds. The data set is built from bulk Core selects (``data.load``) or from
one household's ORM objects (``data.from_household``); rules see the same
attribute names either way.

Each rule declares the data it needs (``"member.ethnicity"``, ``"income_record.*"``,
``"visit"``…): the bulk loader selects only the columns the enabled rules need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from db.models import ExitAssessment, Helper, Household, IncomeRecord, Member, Village

if TYPE_CHECKING:
    from desktop.core.checks.data import Dataset, HouseholdView

ERROR = "错误"
WARNING = "警告"

# entity name -> model, for field labels
ENTITY_MODELS = {
    "household": Household,
    "member": Member,
    "income": IncomeRecord,
    "helper": Helper,
    "exit_assessment": ExitAssessment,
    "village": Village,
}

CATEGORIES = (
    "身份证号码",
    "重复人员",
    "家庭结构",
    "成员状态",
    "必填项",
    "致贫原因",
    "低保五保",
    "劳动力",
    "收入",
    "务工",
    "合理性",
    "脱贫户",
    "帮扶责任人",
)


@dataclass(frozen=True)
class Problem:
    """One finding of one rule, ready for the problems list, the CLI and exports."""

    rule_id: str
    severity: str  # '错误' | '警告'
    message: str  # Chinese, names the household (户编号 + 户主), member and field
    household_uuid: str | None
    member_uuid: str | None
    field: str | None  # model attribute name
    entity: str  # 'household' | 'member' | 'income' | 'helper' | 'exit_assessment'
    acknowledged: bool = False
    # Extra context (for filters, sorting and exports).
    entity_uuid: str | None = None  # the record the problem is about (the acknowledgement key)
    title: str = ""  # the rule's short Chinese title
    category: str = ""
    household_number: str | None = None
    head_name: str | None = None
    member_name: str | None = None
    village: str | None = None
    helpers: tuple[str, ...] = ()
    value: str | None = None

    @property
    def field_label(self) -> str | None:
        return field_label(self.entity, self.field)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["helpers"] = list(self.helpers)
        data["field_label"] = self.field_label
        return data


class Finding(NamedTuple):
    """What a rule yields; the engine turns it into a :class:`Problem`."""

    hv: HouseholdView | None
    text: str
    member: Any = None
    field: str | None = None
    entity: str | None = None  # default: 'member' when member is given, else 'household'
    entity_uuid: str | None = None
    value: Any = None
    helper: Any = None  # a helper row, for helper problems


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    category: str
    description: str
    fn: Callable[[Dataset], Iterable[Finding]] = field(compare=False, repr=False)
    needs: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()  # the settings keys it reads (for the docs)

    def tables(self) -> set[str]:
        return {n.split(".", 1)[0] for n in self.needs}


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: str,
    title: str,
    *,
    category: str,
    description: str,
    needs: Iterable[str] = (),
    settings: Iterable[str] = (),
) -> Callable[[Callable[[Dataset], Iterable[Finding]]], Callable[[Dataset], Iterable[Finding]]]:
    """Register a rule function under ``rule_id``."""
    if severity not in (ERROR, WARNING):
        raise ValueError(f"bad severity {severity!r} for {rule_id}")
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r} for {rule_id}")

    def register(fn: Callable[[Dataset], Iterable[Finding]]) -> Callable[[Dataset], Iterable[Finding]]:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, severity, title, category, description, fn, tuple(needs), tuple(settings))
        return fn

    return register


def ordered_rules() -> list[Rule]:
    """The registry in category order (as in docs/checks.md), then by id."""
    return sorted(RULES.values(), key=lambda r: (CATEGORIES.index(r.category), r.id))


def field_label(entity: str | None, name: str | None) -> str | None:
    if not name:
        return None
    model = ENTITY_MODELS.get(entity or "")
    if model is not None and name in model.__table__.c:
        return model.__table__.c[name].info.get("label", name)
    return name


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (errors block export unless overridden)."""
    return any(p.severity == ERROR for p in problems)


def severity_of(rule_obj: Rule, settings: Any) -> str:
    return settings.severity.get(rule_obj.id, rule_obj.severity)


def enabled_rules(settings: Any, only: Iterable[str] | None = None) -> list[Rule]:
    wanted = set(only) if only is not None else None
    return [
        r for r in RULES.values()
        if r.id not in settings.disabled and (wanted is None or r.id in wanted)
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def to_problem(rule_obj: Rule, severity: str, f: Finding, ds: Dataset, acks: set[tuple[str, str]]) -> Problem:
    hv = f.hv
    m = f.member
    entity = f.entity or ("member" if m is not None else ("helper" if f.helper is not None else "household"))
    if f.entity_uuid:
        entity_uuid = f.entity_uuid
    elif m is not None:
        entity_uuid = m.uuid
    elif f.helper is not None:
        entity_uuid = f.helper.uuid
    else:
        entity_uuid = hv.uuid if hv is not None else None
    parts = []
    if hv is not None:
        parts.append(hv.label)
    if m is not None:
        parts.append(f"成员 {m.name or '（无姓名）'}")
    if f.helper is not None:
        parts.append(f"帮扶责任人 {f.helper.name}（{f.helper.unit or '单位未填'}）")
    label = field_label(entity, f.field)
    if label:
        parts.append(label)
    message = "，".join(parts) + "：" + f.text if parts else f.text
    acknowledged = severity == WARNING and (rule_obj.id, entity_uuid) in acks
    return Problem(
        rule_id=rule_obj.id,
        severity=severity,
        message=message,
        household_uuid=hv.uuid if hv is not None else None,
        member_uuid=m.uuid if m is not None else None,
        field=f.field,
        entity=entity,
        acknowledged=acknowledged,
        entity_uuid=entity_uuid,
        title=rule_obj.title,
        category=rule_obj.category,
        household_number=hv.number if hv is not None else None,
        head_name=hv.head_name if hv is not None else None,
        member_name=(m.name if m is not None else None),
        village=hv.village_name if hv is not None else None,
        helpers=hv.helper_names if hv is not None else (),
        value=_text(f.value),
    )


def run_rules(ds: Dataset, rules: list[Rule], acks: set[tuple[str, str]], progress: Any = None,
              done_before: int = 0, total: int | None = None) -> list[Problem]:
    problems: list[Problem] = []
    total = total if total is not None else len(rules)
    for i, r in enumerate(rules):
        severity = severity_of(r, ds.settings)
        for finding in r.fn(ds):
            if finding.hv is not None and not finding.hv.in_scope:
                continue
            problems.append(to_problem(r, severity, finding, ds, acks))
        if progress is not None:
            progress.update(done_before + i + 1, total, f"检查规则 {r.id} {r.title}")
    return problems


def sort_key(p: Problem) -> tuple:
    return (p.severity != ERROR, p.village or "", p.household_number or "", p.rule_id, p.member_name or "")
