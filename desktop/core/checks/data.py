"""The data a check run works on.

Two ways to build a :class:`Dataset`:

* :func:`load` — the whole database or one township, from a few bulk Core selects
  per table (only the columns the enabled rules need), run on the DBAPI cursor
  (see :func:`_records`). Rows are plain namedtuples, read by attribute like ORM
  objects; booleans are 0/1 and amounts floats on SQLite, so rules test booleans
  by truth and compare money in 分.
* :func:`from_household` — one household's ORM objects (including unsaved edits),
  for the card editor. Cross-household facts (duplicate ID numbers, helpers who
  are poor people…) come from small targeted queries.

Rules only see :class:`HouseholdView` objects and the ``Dataset`` helpers, so they
run unchanged on either.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from datetime import date, datetime
from decimal import Decimal
from itertools import compress, repeat
from operator import and_, attrgetter, not_, or_
from typing import Any, NamedTuple

from sqlalchemy import Date, DateTime, case, func, literal, select, tuple_
from sqlalchemy.orm import Session

from db.models import (
    MEMBER_STATUS_REMOVED,
    Assignment,
    AuditLog,
    DuplicateDismissal,
    ExitAssessment,
    Helper,
    Household,
    IncomeRecord,
    Member,
    PovertyLine,
    Township,
    Village,
    Visit,
)
from desktop.core import idnumber
from desktop.core.checks.settings import Settings
from desktop.core.povertylines import EXIT_SCOPES

TABLE_MODELS = {
    "household": Household,
    "member": Member,
    "helper": Helper,
    "assignment": Assignment,
    "income_record": IncomeRecord,
    "exit_assessment": ExitAssessment,
}

# Columns every run loads (keys, labels, grouping).
ALWAYS = {
    "household": ("id", "uuid", "household_number", "village_id", "household_size", "exit_status"),
    "member": ("id", "uuid", "household_id", "seq", "name", "status", "relation", "sex", "birth_date", "id_number",
               "id_type"),
    "helper": ("id", "uuid", "name", "unit", "township_id", "id_number"),
    "assignment": ("id", "uuid", "household_id", "helper_id", "start_date", "end_date"),
    "income_record": ("id", "uuid", "household_id", "year"),
    "exit_assessment": ("id", "uuid", "household_id", "year"),
}


class CheckError(ValueError):
    """The check cannot run (e.g. an unknown township code); the message is Chinese."""


class HouseholdView:
    """One household and everything attached to it that the rules read."""

    __slots__ = (
        "row", "uuid", "number", "members", "current", "incomes", "assignments", "helper_rows", "exits",
        "visits", "village_name", "village_code", "head", "head_name", "in_scope", "n_heads", "n_spouses", "key",
    )

    def __init__(self, row: Any, village_name: str | None = None, village_code: str | None = None) -> None:
        self.row = row
        self.uuid: str = row.uuid
        self.number: str | None = row.household_number
        self.members: list[Any] = []
        self.current: list[Any] = []
        self.incomes: dict[int, Any] = {}
        self.assignments: list[tuple[Any, Any]] = []  # (assignment, helper) — current ones only
        self.helper_rows: list[Any] = []
        self.exits: dict[int, Any] = {}
        self.visits = 0  # visits in the check year
        self.village_name = village_name
        self.village_code = village_code
        self.head: Any = None
        self.head_name: str | None = None
        self.n_heads = self.n_spouses = 0
        self.key: Any = row.id  # how rules name the household in sets (0 in a one-household check)
        self.in_scope = True

    def finish(self) -> None:
        # Members arrive in record order (bulk) or sorted by 序号 (one household).
        members = self.members
        current = [m for m in members if m.status != MEMBER_STATUS_REMOVED]
        self.current = members if len(current) == len(members) else current
        heads = [m for m in current if m.relation == "户主"]
        self.n_heads = len(heads)
        self.n_spouses = sum(1 for m in current if m.relation == "配偶") if len(current) > 1 else 0
        self.head = heads[0] if len(heads) == 1 else None
        self.head_name = heads[0].name if heads else None

    @property
    def label(self) -> str:
        """``户 户编号（户主 姓名）`` — how messages name the household."""
        return f"户 {self.number or '（无户编号）'}（户主 {self.head_name or '未登记'}）"

    @property
    def helper_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.name for _a, h in self.assignments if h is not None))


class IdResult(NamedTuple):
    """What the ID-number rules need to know about one number."""

    kind: str  # ok, empty, length, chars, upgrade15, checksum, month, date, cert, other_type
    detail: str = ""
    birth: date | None = None
    sex: str | None = None
    region_known: bool = True


_CHECK = "10X98765432"


def _check_char(first17: str) -> str:
    # Σ aᵢ·Wᵢ with Wᵢ = 2^(18−i) mod 11 is 2·Σ aᵢ·2^(17−i); and 13 ≡ 2 (mod 11), so the sum is
    # 2 × (the digits read as a base-13 number) mod 11 — which int() computes in C.
    return _CHECK[2 * int(first17, 13) % 11]


def _date_of(ymd: str, ref: date) -> tuple[str, date | None, str]:
    y, mo, d = int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8])
    if mo < 1 or mo > 12:
        return "month", None, f"出生日期中的月份为 {ymd[4:6]}（应为01–12）"
    try:
        born = date(y, mo, d)
    except ValueError:
        return "date", None, f"出生日期无效：{ymd}"
    if born < idnumber.EARLIEST_BIRTH_DATE:
        return "date", None, f"出生日期早于1880年：{ymd}"
    if born > ref:
        return "date", None, f"出生日期晚于今天：{ymd}"
    return "ok", born, ""


def _first_non_digit(s: str) -> int | None:
    for i, ch in enumerate(s):
        if not ("0" <= ch <= "9"):
            return i
    return None


def classify_id(raw: str | None, id_type: str | None, ref: date) -> IdResult:
    """Classify an ID number quickly (the common valid case costs one checksum)."""
    if raw is None or not raw.strip():
        return IdResult("empty")
    s = raw if (raw.isascii() and raw.isalnum() and raw == raw.upper()) \
        else idnumber.normalise(raw)
    n = len(s)
    if id_type not in (None, "", "居民身份证", "残疾人证"):
        return IdResult("other_type")
    if n == 18 and s[:17].isdigit() and s.isascii() and (s[17] == "X" or "0" <= s[17] <= "9"):
        expected = _check_char(s[:17])
        if s[17] != expected:
            hint = "（末三位为 000，可能已被 Excel 截断）" if s.endswith("000") else ""
            return IdResult("checksum", f"校验位错误：应为 {expected}，实为 {s[17]}{hint}")
        kind, born, detail = _date_of(s[6:14], ref)
        if kind != "ok":
            return IdResult(kind, detail)
        return IdResult("ok", "", born, "男" if int(s[16]) % 2 else "女", idnumber._region_known(s[:6]))
    if n in (20, 22):
        try:
            cert = idnumber.parse_disability_cert(s, ref_date=ref)
        except idnumber.IdNumberError as exc:
            return IdResult("cert", exc.reason)
        info = cert.id_info
        return IdResult("ok", "", info.birth_date, info.sex, info.region_known)
    if n not in (15, 18):
        return IdResult("length", f"位数为 {n}（应为18位，或15位旧号、20/22位残疾人证号）")
    bad = _first_non_digit(s[:17] if n == 18 else s)
    if bad is None and n == 18:
        bad = 17  # the 18th character is neither a digit nor X
    if bad is not None:
        return IdResult("chars", f"第 {bad + 1} 位为“{s[bad]}”，不是数字")
    kind, born, detail = _date_of("19" + s[6:12], ref)
    if kind != "ok":
        return IdResult(kind, detail)
    return IdResult("upgrade15", f"15位旧号，应升级为18位：{idnumber.upgrade15(s)}", born,
                    "男" if int(s[14]) % 2 else "女")


_EMPTY = frozenset({None, ""})


def num(value: Any) -> float:
    """A number as float (None is 0). Bulk rows carry floats, ORM objects Decimals."""
    return 0.0 if value is None else float(value)


def cents(value: Any) -> int:
    """An amount of yuan as whole 分 (exact for amounts stored with 2 decimals)."""
    return 0 if value is None else round(float(value) * 100)


def is_no(value: Any) -> bool:
    """A boolean column that is filled and false (bulk rows carry 0/1, ORM objects bools)."""
    return value is not None and not value


def normalised_id(raw: str | None) -> str:
    if not raw:
        return ""
    return raw if (raw.isascii() and raw.isalnum() and raw == raw.upper()) else idnumber.normalise(raw)


class MemberRef(NamedTuple):
    """A member found by a cross-household index (``member`` is the row when it is loaded)."""

    member_id: int | None
    member_uuid: str
    name: str
    household_id: int | None
    household_uuid: str
    household_number: str | None
    id_number: str = ""
    member: Any = None


def _duplicates(pairs: Any) -> dict[Any, list[Any]]:
    """Group ``(key, ref)`` pairs; keep only keys seen at least twice."""
    first: dict[Any, Any] = {}
    groups: dict[Any, list[Any]] = {}
    for key, ref in pairs:
        seen = first.get(key)
        if seen is None:
            first[key] = ref
        elif key in groups:
            groups[key].append(ref)
        else:
            groups[key] = [seen, ref]
    return groups


class Dataset:
    """Households in scope plus lazily computed cross-household facts."""

    def __init__(self, session: Session, settings: Settings, year: int, *, single: Any = None) -> None:
        self.session = session
        self.settings = settings
        self.year = year
        self.ref_date = date.today()
        self.single = single  # the ORM household in single mode, else None
        self.households: list[HouseholdView] = []
        self.by_id: dict[int, HouseholdView] = {}
        self.scoped_helpers: list[Any] = []  # helper rows the helper-level rules look at
        self.helper_by_id: dict[int, Any] = {}
        self.orphans: list[Any] = []  # members whose household does not exist (whole-database runs)
        self.township_id: int | None = None
        self.all_scope = False
        self._cache: dict[str, Any] = {}
        self._ids: dict[tuple[str, str | None], IdResult] = {}

    # ----- small helpers the rules use ---------------------------------
    # ----- fast access for rules ---------------------------------------
    # Rules filter the ~4 members per household with C-level iterators (attrgetter,
    # compress, bound comparison methods) and do the full test in Python only for the
    # few candidates; a Python loop over 400,000 members costs ~0.1 s per rule.

    @property
    def members(self) -> list[Any]:
        """All current members of the households in scope, flat."""
        found = self._cache.get("members")
        if found is None:
            found = [m for hv in self.households for m in hv.current]
            self._cache["members"] = found
        return found

    @property
    def removed(self) -> list[Any]:
        """Members of the households in scope whose status is 自然减少."""
        found = self._cache.get("removed")
        if found is None:
            found = [m for hv in self.households if len(hv.members) != len(hv.current)
                     for m in hv.members if m.status == MEMBER_STATUS_REMOVED]
            self._cache["removed"] = found
        return found

    def household_ids_of(self, members: Any) -> set[Any]:
        """The households of ``members``, as :meth:`key_of` names them."""
        if self.single is not None:
            return {0 for _m in members}
        return set(map(attrgetter("household_id"), members))

    def hv_of(self, m: Any) -> HouseholdView:
        if self.single is not None:
            return self.households[0]
        return self.by_id[m.household_id]

    def values(self, column: str) -> list[Any]:
        """The values of one member column, parallel to :attr:`members`."""
        key = ("values", column)
        found = self._cache.get(key)
        if found is None:
            members = self.members
            fields = getattr(members[0], "_fields", None) if members else None
            if fields is not None and column in fields:
                # bulk rows are namedtuples of one type: transpose every column at once, in C
                for name, values in zip(fields, zip(*members, strict=True), strict=True):
                    self._cache.setdefault(("values", name), values)
                found = self._cache[key]
            else:
                found = list(map(attrgetter(column), members))
                self._cache[key] = found
        return found

    def falsy(self, column: str) -> Any:
        """Current members whose ``column`` is empty (None, "", 0, False)."""
        return compress(self.members, map(not_, self.values(column)))

    def truthy(self, column: str) -> Any:
        """Current members whose ``column`` is filled and true-ish."""
        return compress(self.members, self.values(column))

    def where(self, column: str, test: Any) -> Any:
        """Current members where ``test(value)`` is true; ``test`` should be a C callable
        (e.g. a bound ``frozenset.__contains__``) to keep the scan fast."""
        return compress(self.members, map(test, self.values(column)))

    def group(self, column: str) -> dict[Any, list[Any]]:
        """Current members grouped by the value of ``column``."""
        key = ("group", column)
        found = self._cache.get(key)
        if found is None:
            found = defaultdict(list)
            for m, v in zip(self.members, self.values(column), strict=True):
                found[v].append(m)
            self._cache[key] = found
        return found

    def in_groups(self, column: str, values: Any) -> Any:
        """Current members whose ``column`` is one of ``values``."""
        return compress(self.members, map(frozenset(values).__contains__, self.values(column)))

    def matching(self, *, born_from: int | None = None, born_to: int | None = None, **conditions: Any) -> Any:
        """Current members whose columns all take one of the given values, born in the years
        ``born_from``–``born_to`` when given (unknown birth dates pass, for a closer look);
        the tests are ANDed in C."""
        flags = None
        for column, values in conditions.items():
            test = map(frozenset(values).__contains__, self.values(column))
            flags = test if flags is None else map(and_, flags, test)
        if born_from is not None:
            years = self.birth_years()  # 1 when unknown
            test = map(or_, map(born_from.__le__, years), map((1).__eq__, years))
            flags = test if flags is None else map(and_, flags, test)
        if born_to is not None:
            test = map(born_to.__ge__, self.birth_years())
            flags = test if flags is None else map(and_, flags, test)
        return compress(self.members, flags) if flags is not None else iter(self.members)

    def distinct(self, column: str) -> set[Any]:
        key = ("distinct", column)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = set(self.values(column))
        return found

    def created_at(self, members: list[Any]) -> dict[str, datetime]:
        """Member uuid -> 创建时间, for a few members (not loaded in bulk: rarely needed)."""
        out: dict[str, datetime] = {}
        missing = []
        for m in members:
            value = getattr(m, "created_at", None) if self.single is not None else None
            if value is not None:
                out[m.uuid] = value
            elif m.id is not None:
                missing.append(m.id)
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            for uuid, at in self.session.execute(select(Member.uuid, Member.created_at).where(Member.id.in_(chunk))):
                out[uuid] = at
        return out

    def hh_values(self, column: str) -> list[Any]:
        """The values of one household column, parallel to :attr:`households`."""
        key = ("hh_values", column)
        found = self._cache.get(key)
        if found is None:
            rows = [hv.row for hv in self.households]
            fields = getattr(rows[0], "_fields", None) if rows else None
            if fields is not None and column in fields:  # bulk: transpose every column at once, in C
                for name, values in zip(fields, zip(*rows, strict=True), strict=True):
                    self._cache.setdefault(("hh_values", name), values)
                found = self._cache[key]
            else:
                found = [getattr(row, column) for row in rows]
                self._cache[key] = found
        return found

    def hh_where(self, column: str, values: Any) -> Any:
        """Households whose ``column`` is one of ``values``."""
        return compress(self.households, map(frozenset(values).__contains__, self.hh_values(column)))

    def hh_truthy(self, column: str) -> Any:
        return compress(self.households, self.hh_values(column))

    @property
    def exited(self) -> list[HouseholdView]:
        """Households in scope whose 脱贫状态 counts as exited."""
        found = self._cache.get("exited")
        if found is None:
            found = list(self.hh_where("exit_status", self.settings.exit_statuses))
            self._cache["exited"] = found
        return found

    @property
    def year_incomes(self) -> list[tuple[HouseholdView, Any]]:
        """(household, income record of the check year) for households that have one."""
        found = self._cache.get("year_incomes")
        if found is None:
            year = self.year
            found = [(hv, hv.incomes[year]) for hv in self.households if year in hv.incomes]
            self._cache["year_incomes"] = found
        return found

    def year_per_capita(self) -> list[int | None]:
        """年人均纯收入 in 分 of each record of :attr:`year_incomes` (same order)."""
        found = self._cache.get("year_per_capita")
        if found is None:
            found = self._cache["year_per_capita"] = [self.per_capita_cents(r) for _hv, r in self.year_incomes]
        return found

    def hh_empty(self, column: str) -> Any:
        """Households whose ``column`` is None or an empty string (0 and False count as filled)."""
        return compress(self.households, map(_EMPTY.__contains__, self.hh_values(column)))

    def line_cents(self, year: int) -> int | None:
        cache = self._cache.setdefault("line_cents", {})
        if year not in cache:
            line = self.line(year)
            cache[year] = None if line is None else round(line * 100)
        return cache[year]

    def birth_years(self) -> list[int]:
        """Birth year of each current member (1 when unknown), parallel to :attr:`members`."""
        found = self._cache.get("birth_years")
        if found is None:
            found = self._cache["birth_years"] = list(map(attrgetter("year"), self._births(date.min)))
        return found

    def household_keys(self) -> list[Any]:
        """The household key of each current member, parallel to :attr:`members`."""
        if self.single is not None:
            return [0] * len(self.members)
        return self.values("household_id")

    def per_household(self, values: dict[Any, Any], default: Any) -> list[Any]:
        """``values`` (keyed by household key) spread over :attr:`members`."""
        return list(map(values.get, self.household_keys(), repeat(default)))

    def key_of(self, hv: HouseholdView) -> Any:
        return hv.key

    def hh_sizes(self) -> list[int]:
        found = self._cache.get("hh_sizes")
        if found is None:
            found = self._cache["hh_sizes"] = [len(hv.current) for hv in self.households]
        return found

    def _births(self, missing: date) -> list[date]:
        key = ("births", missing)
        found = self._cache.get(key)
        if found is None:
            found = [missing if b is None else b for b in self.values("birth_date")]
            self._cache[key] = found
        return found

    def born_before(self, day: date) -> Any:
        """Members born before ``day``, plus those without a birth date (for a closer look)."""
        return compress(self.members, map(day.__gt__, self._births(date.min)))

    def born_on_or_after(self, day: date) -> Any:
        """Members born on or after ``day``, plus those without a birth date."""
        return compress(self.members, map(day.__le__, self._births(date.max)))

    def is_exited(self, hv: HouseholdView) -> bool:
        return hv.row.exit_status in self.settings.exit_statuses

    def id_result(self, m: Any) -> IdResult:
        id_type = getattr(m, "id_type", None)
        key = m.id_number if id_type in (None, "居民身份证") else (m.id_number, id_type)
        found = self._ids.get(key)
        if found is None:
            found = classify_id(m.id_number, id_type, self.ref_date)
            self._ids[key] = found
        return found

    def per_capita_cents(self, r: Any) -> int | None:
        """年人均纯收入 of an income record in 分: the arithmetic of ``desktop.core.income.summarise``
        (amounts to 分, net ÷ population, rounded half-up), done in integers."""
        cache = self._cache.setdefault("per_capita", {})
        key = id(r)
        found = cache.get(key)
        if found is not None:
            return found[1]
        pop = r.population
        if not pop or pop <= 0:
            value = None
        else:
            try:  # amounts have 2 decimals, so the float sum rounds back to the exact 分
                net = round(((r.wage or 0) + (r.production or 0) + (r.property_income or 0) + (r.transfer or 0)
                             - (r.production_expense or 0)) * 100)
            except TypeError:  # Decimal mixed with float in an edited ORM object
                net = (cents(r.wage) + cents(r.production) + cents(r.property_income) + cents(r.transfer)
                       - cents(r.production_expense))
            q = (abs(net) * 2 + pop) // (2 * pop)
            value = q if net >= 0 else -q
        cache[key] = (r, value)  # keeps r alive so its id() stays unique
        return value

    def per_capita(self, r: Any) -> Decimal | None:
        value = self.per_capita_cents(r)
        return None if value is None else Decimal(value) / 100

    def id_scan(self) -> dict[str, list[tuple[HouseholdView, Any, IdResult]]]:
        """One pass over the current members' ID numbers, shared by the ID rules.

        Groups: the faults of :func:`classify_id` (``empty``, ``length``, ``chars``,
        ``upgrade15``, ``checksum``, ``month``, ``date``, ``cert``) and, for valid
        numbers, ``sex`` / ``birth`` (disagreeing with the registered sex / birth date)
        and ``region`` (unknown region code). Valid 18-digit numbers take a fast path.
        """
        groups = self._cache.get("id_scan")
        if groups is not None:
            return groups
        groups = defaultdict(list)
        ref = self.ref_date
        earliest = idnumber.EARLIEST_BIRTH_DATE
        regions: dict[str, bool] = {}
        check = _CHECK
        hv_of = self.hv_of
        for m in self.members:
            s = m.id_number
            if (s.__class__ is str and len(s) == 18 and s.isascii() and s[:17].isdigit()
                    and (m.id_type is None or m.id_type == "居民身份证")):
                last = s[17]
                expected = check[2 * int(s[:17], 13) % 11]
                if last != expected:
                    if last != "X" and not last.isdigit():
                        r = IdResult("chars", f"第 18 位为“{last}”，不是数字")
                        groups["chars"].append((hv_of(m), m, r))
                        continue
                    hint = "（末三位为 000，可能已被 Excel 截断）" if s.endswith("000") else ""
                    groups["checksum"].append(
                        (hv_of(m), m, IdResult("checksum", f"校验位错误：应为 {expected}，实为 {last}{hint}")))
                    continue
                b = m.birth_date
                if (b is not None and b.year * 10000 + b.month * 100 + b.day == int(s[6:14])
                        and earliest <= b <= ref):
                    born = b
                else:
                    kind, born, detail = _date_of(s[6:14], ref)
                    if kind != "ok":
                        groups[kind].append((hv_of(m), m, IdResult(kind, detail)))
                        continue
                    if b is not None and b != born:
                        groups["birth"].append((hv_of(m), m, IdResult("ok", "", born, None, True)))
                sex = m.sex
                if (sex == "男" or sex == "女") and (sex == "男") != bool(ord(s[16]) & 1):
                    groups["sex"].append((hv_of(m), m, IdResult("ok", "", born, "男" if ord(s[16]) & 1 else "女")))
                code = s[:6]
                known = regions.get(code)
                if known is None:
                    known = regions[code] = idnumber._region_known(code)
                if not known:
                    groups["region"].append((hv_of(m), m, IdResult("ok", "", born, None, False)))
                continue
            r = self.id_result(m)
            if r.kind not in ("ok", "upgrade15", "other_type"):
                groups[r.kind].append((hv_of(m), m, r))
                continue
            if r.kind == "other_type":
                continue
            if r.kind == "upgrade15":
                groups["upgrade15"].append((hv_of(m), m, r))
            if m.birth_date is not None and r.birth is not None and m.birth_date != r.birth:
                groups["birth"].append((hv_of(m), m, r))
            if r.sex and m.sex in ("男", "女") and m.sex != r.sex:
                groups["sex"].append((hv_of(m), m, r))
            if r.kind == "ok" and not r.region_known:
                groups["region"].append((hv_of(m), m, r))
        self._cache["id_scan"] = groups
        return groups

    def birth(self, m: Any) -> date | None:
        if m.birth_date is not None:
            return m.birth_date
        return self.id_result(m).birth

    def age(self, m: Any) -> int | None:
        b = m.birth_date
        if b is None:
            b = self.id_result(m).birth
            if b is None:
                return None
        return self.year - b.year

    def income(self, hv: HouseholdView, year: int | None = None) -> Any:
        return hv.incomes.get(self.year if year is None else year)

    def line(self, year: int) -> Decimal | None:
        lines = self._cache.get("lines")
        if lines is None:
            rows = self.session.execute(select(PovertyLine.year, PovertyLine.scope, PovertyLine.amount)).all()
            by_year: dict[int, dict[str, Decimal]] = defaultdict(dict)
            for y, scope, amount in rows:
                by_year[y][scope] = Decimal(amount)
            lines = {}
            for y, scopes in by_year.items():
                lines[y] = next((scopes[s] for s in EXIT_SCOPES if s in scopes), None)
            self._cache["lines"] = lines
        return lines.get(year)

    def describe_household(self, household_id: int | None, household_uuid: str, number: str | None) -> str:
        hv = self.by_id.get(household_id) if household_id is not None else None
        if hv is not None:
            return hv.label
        heads = self._cache.setdefault("other_heads", {})
        if household_uuid not in heads:
            head = self.session.execute(
                select(Member.name).join(Household, Household.id == Member.household_id)
                .where(Household.uuid == household_uuid, Member.relation == "户主",
                       Member.status != MEMBER_STATUS_REMOVED)
            ).scalars().first()
            heads[household_uuid] = head
        return f"户 {number or '（无户编号）'}（户主 {heads[household_uuid] or '未登记'}）"

    # ----- cross-household facts (lazy) --------------------------------
    def _refs_of(self, rows: Any) -> Any:
        """(key, MemberRef) for query rows (member id, uuid, name, id number, household id, uuid, number)."""
        for key, mid, muuid, name, number, hid, huuid, hnumber in rows:
            hv = self.by_id.get(hid)
            member = next((m for m in hv.current if m.id == mid), None) if hv is not None else None
            yield key, MemberRef(mid, muuid, name, hid, huuid, hnumber, normalised_id(number), member)

    def members_by_id_number(self) -> dict[str, list[MemberRef]]:
        """ID numbers held by current members of more than one household -> those members.

        Bulk runs group in SQL and fetch only the duplicates;
        the single-household check asks for its own members' numbers.
        """
        if "by_id_number" in self._cache:
            return self._cache["by_id_number"]
        key_col = Member.id_number  # stored normalised (editors and imports normalise); grouped on its index
        current = (Member.status != MEMBER_STATUS_REMOVED, Member.id_number.is_not(None))
        refs = select(key_col, Member.id, Member.uuid, Member.name, Member.id_number, Member.household_id,
                      Household.uuid, Household.household_number).join(Household, Household.id == Member.household_id)
        if self.single is None:
            # Any member, any status: the covering index answers this in a fraction of a second;
            # _duplicates and the rules drop removed members and same-household pairs.
            dup_keys = select(key_col).where(key_col.is_not(None)).group_by(key_col).having(func.count() > 1)
            groups = _duplicates(self._refs_of(self.session.execute(refs.where(*current, key_col.in_(dup_keys)))))
        else:
            own = [(normalised_id(m.id_number), m, hv) for hv in self.households for m in hv.current]
            own = [t for t in own if t[0]]
            stmt = refs.where(*current, key_col.in_({k for k, _m, _hv in own}))
            if self.single.id is not None:
                stmt = stmt.where(Member.household_id != self.single.id)
            mine = [(k, MemberRef(m.id, m.uuid, m.name, self.single.id, hv.uuid, hv.number, k, m)) for k, m, hv in own]
            groups = _duplicates([*mine, *(
                (k, MemberRef(mid, muuid, name, hid, huuid, hnumber, normalised_id(number), None))
                for k, mid, muuid, name, number, hid, huuid, hnumber in self.session.execute(stmt))])
        self._cache["by_id_number"] = groups
        return groups

    def helper_id_numbers(self) -> dict[str, list[Any]]:
        """Helpers of the database by normalised ID number (in a single-household check, only
        those whose number is one of the household's)."""
        if "helper_ids" not in self._cache:
            index: dict[str, list[Any]] = defaultdict(list)
            stmt = select(Helper.uuid, Helper.name, Helper.unit, Helper.id_number).where(Helper.id_number.is_not(None))
            if self.single is not None:
                own = {normalised_id(m.id_number) for hv in self.households for m in hv.current} - {""}
                stmt = stmt.where(Helper.id_number.in_(own))
            rows = self.session.execute(stmt).all()
            for row in rows:
                key = normalised_id(row.id_number)
                if key:
                    index[key].append(row)
            self._cache["helper_ids"] = index
        return self._cache["helper_ids"]

    def households_by_number(self) -> dict[str, list[tuple[int | None, str, str | None]]]:
        """户编号 used by more than one household -> (id, uuid, number) of those households."""
        if "by_number" in self._cache:
            return self._cache["by_number"]
        key_col = Household.household_number
        rows = select(key_col, Household.id, Household.uuid, Household.household_number).where(
            Household.household_number.is_not(None), key_col != "")
        if self.single is None:
            dup = select(key_col).where(key_col.is_not(None)).group_by(key_col).having(func.count() > 1)
            stmt = rows.where(key_col.in_(dup))
            groups = _duplicates((k, (hid, huuid, number)) for k, hid, huuid, number in self.session.execute(stmt))
        else:
            own = [(hv.number, (self.single.id, hv.uuid, hv.number)) for hv in self.households
                   if hv.number and hv.number.strip()]
            stmt = rows.where(key_col.in_({k for k, _r in own}))
            if self.single.id is not None:
                stmt = stmt.where(Household.id != self.single.id)
            groups = _duplicates([*own, *((k, (hid, huuid, number))
                                          for k, hid, huuid, number in self.session.execute(stmt))])
        self._cache["by_number"] = groups
        return groups

    def heads_by_name_birth(self) -> dict[tuple[int, str, date], list[MemberRef]]:
        """(村, 户主姓名, 出生日期) shared by the heads of more than one household -> those heads."""
        if "heads" in self._cache:
            return self._cache["heads"]
        name_col = func.trim(Member.name)
        heads = (Member.relation == "户主", Member.status != MEMBER_STATUS_REMOVED, Member.birth_date.is_not(None))
        refs = (select(Household.village_id, name_col, Member.birth_date, Member.id, Member.uuid, Member.name,
                       Member.id_number, Member.household_id, Household.uuid, Household.household_number)
                .join(Household, Household.id == Member.household_id))

        def from_rows(rows: Any) -> Any:
            for vid, name, birth, *rest in rows:
                yield from ((((vid, name, birth), ref) for _k, ref in self._refs_of([(None, *rest)])))

        if self.single is None:
            dup = (select(Household.village_id, name_col, Member.birth_date)
                   .join(Household, Household.id == Member.household_id).where(*heads)
                   .group_by(Household.village_id, name_col, Member.birth_date).having(func.count() > 1))
            stmt = refs.where(*heads, tuple_(Household.village_id, name_col, Member.birth_date).in_(dup))
            groups = _duplicates(from_rows(self.session.execute(stmt)))
        else:
            own = []
            for hv in self.households:
                h = hv.head
                b = self.birth(h) if h is not None else None
                if h is not None and h.name and h.name.strip() and b is not None:
                    own.append(((hv.row.village_id, h.name.strip(), b),
                                MemberRef(h.id, h.uuid, h.name, self.single.id, hv.uuid, hv.number,
                                          normalised_id(h.id_number), h)))
            if not own:
                self._cache["heads"] = {}
                return {}
            stmt = refs.where(*heads, Household.village_id.in_({k[0] for k, _r in own}),
                              name_col.in_({k[1] for k, _r in own}))
            if self.single.id is not None:
                stmt = stmt.where(Household.id != self.single.id)
            groups = _duplicates([*own, *(((vid, name, birth),
                                           MemberRef(mid, muuid, mname, hid, huuid, number, normalised_id(idn), None))
                                          for vid, name, birth, mid, muuid, mname, idn, hid, huuid, number
                                          in self.session.execute(stmt))])
        self._cache["heads"] = groups
        return groups

    def dismissed_pairs(self) -> set[tuple[str, str]]:
        if "dismissed" not in self._cache:
            rows = self.session.execute(select(DuplicateDismissal.uuid_a, DuplicateDismissal.uuid_b)).all()
            self._cache["dismissed"] = {(a, b) for a, b in rows} | {(b, a) for a, b in rows}
        return self._cache["dismissed"]

    def student_status_changed(self) -> dict[str, datetime]:
        """Member uuid -> time of the last recorded change of 在校生状况."""
        if "grade_changes" not in self._cache:
            stmt = (
                select(AuditLog.entity_uuid, func.max(AuditLog.at))
                .where(AuditLog.entity == "member", AuditLog.field_name == "student_status")
                .group_by(AuditLog.entity_uuid)
            )
            if self.single is not None:
                stmt = stmt.where(AuditLog.entity_uuid.in_([m.uuid for hv in self.households for m in hv.members]))
            self._cache["grade_changes"] = dict(self.session.execute(stmt).all())
        return self._cache["grade_changes"]

    def member_created(self, m: Any) -> datetime | None:
        return getattr(m, "created_at", None)

    def helper_household_counts(self) -> dict[int, int]:
        """Helper id -> number of households currently assigned (whole database)."""
        if "helper_counts" not in self._cache:
            stmt = (
                select(Assignment.helper_id, func.count(func.distinct(Assignment.household_id)))
                .where((Assignment.end_date.is_(None)) | (Assignment.end_date >= self.ref_date))
                .group_by(Assignment.helper_id)
            )
            if self.single is not None:
                stmt = stmt.where(Assignment.helper_id.in_([h.id for h in self.scoped_helpers]))
            self._cache["helper_counts"] = dict(self.session.execute(stmt).all())
        return self._cache["helper_counts"]


# --------------------------------------------------------------------------- bulk load


def needed_columns(rules: list[Any]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {t: set(cols) for t, cols in ALWAYS.items()}
    optional = {"income_record", "exit_assessment"}
    used: set[str] = set()
    for r in rules:
        for need in r.needs:
            table, _, column = need.partition(".")
            used.add(table)
            if table not in TABLE_MODELS or not column:
                continue
            model = TABLE_MODELS[table]
            if column == "*":
                wanted[table].update(c.key for c in model.__table__.columns if c.key not in ("search_key", "note"))
            else:
                if column not in model.__table__.c:
                    raise ValueError(f"rule {r.id} needs unknown column {need}")
                wanted[table].add(column)
    for table in optional:
        if table not in used:
            wanted.pop(table)
    if "visit" in used:
        wanted["visit"] = set()
    return wanted


# Code-list columns come back from the database as one character each (CASE … THEN 'a'), which
# Python does not allocate anew (single Latin-1 characters are shared objects), instead of a
# freshly decoded Chinese string per row and column; _records maps them back to the labels.
# A value outside the code list comes back as '~' + the stored text.
CODE_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DECODE: dict[str, dict[str, str]] = {}  # "table.column" -> {code character: label}


def _coded(table: Any, name: str) -> Any:
    col = table.c[name]
    listname = col.info.get("codelist")
    if not listname:
        return col
    from desktop.core import codelists

    labels = codelists.labels(listname)
    if len(labels) > len(CODE_CHARS):
        return col
    codes = dict(zip(labels, CODE_CHARS, strict=False))
    _DECODE[f"{table.name}.{name}"] = {c: label for label, c in codes.items()}
    return case(codes, value=col, else_=literal("~") + col).label(f"{table.name}.{name}")


def _cols(model: Any, names: set[str]) -> list[Any]:
    table = model.__table__
    return [_coded(table, n) for n in sorted(names)]


def _records(session: Session, stmt: Any) -> list[Any]:
    """Run a Core select and return its rows as plain namedtuples.

    The statement is compiled for the session's dialect (parameters inlined: only
    integers and code-list strings occur) and run on the DBAPI cursor, skipping
    SQLAlchemy's per-row result processing; namedtuple attribute access is also ~10x
    faster than on ``Row``. Over 100,000 households this is the difference between
    seconds and tens of seconds. Dates (stored as text by SQLite) are converted
    here; booleans stay 0/1 on SQLite and numbers stay floats, so rules test
    booleans by truth (``is_no``) and money in 分 (``cents``).
    """
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    columns = list(stmt.selected_columns)
    # coded columns are labelled "table.column" (see _coded); the record field is the column name
    record = namedtuple("Record", [c.key.rpartition(".")[2] for c in columns], rename=True)
    converters = []
    decoders = []
    for i, c in enumerate(columns):
        if isinstance(c.type, DateTime):
            converters.append((i, datetime.fromisoformat))
        elif isinstance(c.type, Date):
            converters.append((i, date.fromisoformat))
        elif c.key in _DECODE:
            decoders.append((i, _DECODE[c.key]))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    new = tuple.__new__
    if not converters and not decoders:
        return [new(record, row) for row in rows]
    out = []
    for row in rows:
        values = list(row)
        for i, table in decoders:
            v = values[i]
            if v is not None:
                values[i] = table.get(v) or v[1:]
        for i, convert in converters:
            v = values[i]
            if v is not None and v.__class__ is str:
                values[i] = convert(v)
        out.append(new(record, values))
    return out


def _current_assignment(a: Any, ref: date) -> bool:
    return a.end_date is None or a.end_date >= ref


def load(session: Session, settings: Settings, year: int, rules: list[Any], *,
         township_code: str | None = None, progress: Any = None, steps: int = 0) -> Dataset:
    """Build a Dataset from bulk selects (whole database, or one township)."""
    ds = Dataset(session, settings, year)
    wanted = needed_columns(rules)
    township_id = None
    if township_code:
        township_id = session.scalar(select(Township.id).where(Township.code == township_code))
        if township_id is None:
            raise CheckError(f"数据库中没有乡镇代码为“{township_code}”的乡镇")
    ds.township_id = township_id
    ds.all_scope = township_id is None
    step = 0

    def tick(text: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress.update(step, steps, text)

    def scoped(stmt: Any, household_col: Any) -> Any:
        if township_id is None:
            return stmt
        return stmt.where(household_col.in_(
            select(Household.id).join(Village, Village.id == Household.village_id)
            .where(Village.township_id == township_id)))

    villages = {
        v.id: v for v in session.execute(select(Village.id, Village.name, Village.code, Village.township_id))
    }
    stmt = select(*_cols(Household, wanted["household"]))
    if township_id is not None:
        stmt = stmt.join(Village, Village.id == Household.village_id).where(Village.township_id == township_id)
    for row in _records(session, stmt.order_by(Household.id)):
        v = villages.get(row.village_id)
        hv = HouseholdView(row, v.name if v else None, v.code if v else None)
        ds.households.append(hv)
        ds.by_id[row.id] = hv
    tick("读取贫困户")

    by_id = ds.by_id
    stmt = scoped(select(*_cols(Member, wanted["member"])), Member.household_id)
    for m in _records(session, stmt.order_by(Member.id)):
        hv = by_id.get(m.household_id)
        if hv is not None:
            hv.members.append(m)
        elif township_id is None:
            ds.orphans.append(m)
    tick("读取家庭成员")

    helpers = _records(session, select(*_cols(Helper, wanted["helper"] | {"active"})))
    ds.helper_by_id = {h.id: h for h in helpers}
    ds.scoped_helpers = [h for h in helpers if township_id is None or h.township_id == township_id]
    stmt = scoped(select(*_cols(Assignment, wanted["assignment"])), Assignment.household_id)
    ref = ds.ref_date
    for a in _records(session, stmt.order_by(Assignment.id)):
        hv = by_id.get(a.household_id)
        if hv is not None and _current_assignment(a, ref):
            hv.assignments.append((a, ds.helper_by_id.get(a.helper_id)))
    tick("读取帮扶责任人")

    if "income_record" in wanted:
        stmt = scoped(select(*_cols(IncomeRecord, wanted["income_record"])), IncomeRecord.household_id).where(
            (IncomeRecord.year == year) | IncomeRecord.id.in_(
                select(IncomeRecord.id).join(Household, Household.id == IncomeRecord.household_id)
                .where(IncomeRecord.year == Household.exit_year)))
        for r in _records(session, stmt):
            hv = by_id.get(r.household_id)
            if hv is not None:
                hv.incomes[r.year] = r
    tick("读取收入")
    if "exit_assessment" in wanted:
        stmt = scoped(select(*_cols(ExitAssessment, wanted["exit_assessment"])), ExitAssessment.household_id)
        for r in _records(session, stmt):
            hv = by_id.get(r.household_id)
            if hv is not None:
                hv.exits[r.year] = r
    if "visit" in wanted:
        stmt = scoped(
            select(Visit.household_id, func.count())
            .where(Visit.visited_on >= date(year, 1, 1), Visit.visited_on <= date(year, 12, 31))
            .group_by(Visit.household_id), Visit.household_id)
        for hid, count in session.execute(stmt):
            hv = by_id.get(hid)
            if hv is not None:
                hv.visits = count
    tick("读取脱贫评估与走访")
    for hv in ds.households:
        hv.finish()
    return ds


LOAD_STEPS = 5


# --------------------------------------------------------------------------- one household


def from_household(session: Session, settings: Settings, year: int, household: Household) -> Dataset:
    """A Dataset of one household from its ORM objects (unsaved edits included)."""
    ds = Dataset(session, settings, year, single=household)
    village = household.village
    if village is None and household.village_id is not None:
        village = session.get(Village, household.village_id)
    hv = HouseholdView(household, village.name if village else None, village.code if village else None)
    hv.members = sorted(household.members, key=lambda m: (m.seq or 0, m.id or 0))
    hv.incomes = {r.year: r for r in household.incomes}
    hv.exits = {r.year: r for r in household.exit_assessments}
    ref = ds.ref_date
    for a in household.assignments:
        if _current_assignment(a, ref):
            helper = a.helper if a.helper is not None else (session.get(Helper, a.helper_id) if a.helper_id else None)
            hv.assignments.append((a, helper))
    hv.visits = sum(1 for v in household.visits if v.visited_on and v.visited_on.year == year)
    hv.key = 0  # members of a new household have no household id yet
    hv.finish()
    ds.households.append(hv)
    if household.id is not None:
        ds.by_id[household.id] = hv
    ds.scoped_helpers = list({id(h): h for _a, h in hv.assignments if h is not None}.values())
    ds.helper_by_id = {h.id: h for h in ds.scoped_helpers if h.id is not None}
    return ds
