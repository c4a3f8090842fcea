"""Take township exchange workbooks into a county database (``mingbaika-cli consolidate``, 县级汇总).

For every file (docs/county.md):

1. The manifest (说明) is read: a file that is not a readable exchange workbook, of an unknown format
   version, of several townships, of another county or without an export sequence number is named
   and not used.
2. Per township the newest file of the run (highest 导出序号) is compared with the township's last
   consolidated round (``exchange_log``, direction ``consolidate``): an older or identical file changes
   nothing and says so; the same sequence number with other data is held back.
3. A newer file is checked cell by cell and its digest verified by the exchange importer
   (:func:`desktop.core.exchange.importer.plan_import`, comparing only with that township's rows). A
   file with errors is held back; an edited or damaged file (digest or row counts differ from the
   manifest) is held back unless the officer accepts it.
4. A row whose UUID the county database holds under another township is a conflict: the file is held
   back and both townships are named. When the other township's file of the same run was already
   taken, the run starts again with both held back, so neither copy wins silently. When the other
   township has a newer file later in the run, the file waits for it (the record may have moved).
5. The file replaces the township's rows: new rows are added, changed rows updated (every changed
   field in the audit log and in the change report), rows the file no longer has are deleted (unless
   still referenced, which is reported).

All files are taken in one database transaction: a failure or a cancel leaves the county database as
it was. Then the duplicate checks run (:mod:`desktop.core.county.duplicates`), the county workbook is
exported, read back and reconciled (:mod:`desktop.core.county.reconcile`), and the problems workbook and
the summary report are written (:mod:`desktop.core.county.workbooks`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import County, ExchangeLog, Household, Setting, Township
from desktop.core import povertylines
from desktop.core.county import scope
from desktop.core.exchange import format as fmt
from desktop.core.exchange.errors import ExchangeError, ImportRejected, Problem
from desktop.core.exchange.export import DATABASE_KIND_KEY, Manifest, database_kind
from desktop.core.exchange.importer import ImportPlan, apply_plan, open_workbook, plan_import, read_manifest
from desktop.core.progress import NULL_PROGRESS, Cancelled, Progress

DIRECTION = "consolidate"
CHUNK = 500
MAX_CONFLICTS = 500  # conflicts listed per file (all are counted)
MAX_FILE_PROBLEMS = 2000

# Verdicts: code -> Chinese label.
STATUS_LABELS = {
    "first": "首次汇总",
    "newer": "已更新",
    "identical": "与上次相同，未改动",
    "older": "比上次旧，未改动",
    "superseded": "本次另有更新的文件，未采用",
    "duplicate": "与本次另一文件相同，未重复汇总",
    "same_sequence": "序号与上次相同但数据不同，暂缓",
    "edited": "导出后被修改或已损坏，暂缓",
    "errors": "文件有错误，暂缓",
    "conflict": "UUID 冲突，暂缓",
    "refused": "无法使用",
    "not_township": "不是乡镇报送文件",
    "other_county": "不属于本县",
    "no_sequence": "缺少导出序号，暂缓",
}
TAKEN = frozenset({"first", "newer"})
UNCHANGED = frozenset({"identical", "older", "superseded", "duplicate"})


class ConsolidationError(Exception):
    """The consolidation cannot run at all (wrong database, bad output name…); nothing changed."""


# ----------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Conflict:
    """A UUID a file claims that the county database holds under another township."""

    file: str
    township_code: str
    township_name: str
    sheet: str  # sheet title
    row: int | None
    uuid: str
    record: str  # the file's record (户编号, name…)
    other_township_code: str
    other_township_name: str
    other_source: str  # where the other copy comes from
    household_uuid: str | None = None  # the county database's household of the other copy (to open it)

    def text(self) -> str:
        where = f"第 {self.row} 行" if self.row else ""
        return (f"“{self.file}”（{self.township_name}）工作表“{self.sheet}”{where}的记录 {self.record or self.uuid}"
                f"（UUID {self.uuid}）已属于乡镇“{self.other_township_name}”（{self.other_township_code}，"
                f"{self.other_source}）")


@dataclass(frozen=True)
class Change:
    """One line of the change report against the previous round."""

    township_code: str
    township_name: str
    sheet: str  # sheet title
    kind: str  # 新增 / 修改 / 删除
    uuid: str
    record: str
    column: str | None = None
    old: Any = None
    new: Any = None
    household_uuid: str | None = None

    def text(self) -> str:
        head = f"{self.township_name} {self.sheet} {self.record or self.uuid}"
        if self.kind == "修改":
            return (f"{head}“{self.column}”：{fmt.canonical_text(self.old) or '（空）'} → "
                    f"{fmt.canonical_text(self.new) or '（空）'}")
        return f"{head}：{self.kind}"


@dataclass
class FileVerdict:
    """What happened to one input file."""

    path: Path
    status: str = "refused"
    message: str = ""
    township_code: str | None = None
    township_name: str | None = None
    county_code: str | None = None
    sequence: int | None = None
    previous_sequence: int | None = None
    exported_at: str = ""
    manifest_digest: str = ""
    computed_digest: str = ""
    edited: bool = False
    edited_reasons: list[str] = field(default_factory=list)
    accepted_edited: bool = False
    manifest_rows: dict[str, int] = field(default_factory=dict)  # sheet title -> rows per 说明
    read_rows: dict[str, int] = field(default_factory=dict)  # sheet title -> data rows read
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # title -> 新增/修改/不变/删除
    problems: list[Problem] = field(default_factory=list)  # the file's cell problems (errors, warnings)
    error_count: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    kept: list[str] = field(default_factory=list)  # rows not in the file but still referenced: not deleted

    @property
    def label(self) -> str:
        text = STATUS_LABELS.get(self.status, self.status)
        if self.status == "newer" and self.previous_sequence is not None:
            text += f"（序号 {self.previous_sequence} → {self.sequence}）"
        if self.taken and self.accepted_edited:
            text += "（已确认采用被修改的文件）"
        return text

    @property
    def taken(self) -> bool:
        return self.status in TAKEN

    @property
    def held_back(self) -> bool:
        """The officer must act: the file was not used for a reason other than being old or identical."""
        return self.status not in TAKEN and self.status not in UNCHANGED

    def totals(self) -> dict[str, int]:
        total = Counter()
        for c in self.counts.values():
            total.update(c)
        return {k: total.get(k, 0) for k in ("新增", "修改", "删除", "不变")}


@dataclass
class ConsolidationResult:
    verdicts: list[FileVerdict]
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[Any] = field(default_factory=list)  # desktop.core.county.duplicates.CountyProblem
    reconciliation: Any = None  # desktop.core.county.reconcile.Reconciliation
    dry_run: bool = False
    county_workbook: Path | None = None
    problems_workbook: Path | None = None
    report: Path | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    passes: int = 1  # > 1 when conflicts between files of the same run made it start again
    database: str = ""
    notes: list[str] = field(default_factory=list)  # outputs not written, and why

    @property
    def taken(self) -> list[FileVerdict]:
        return [v for v in self.verdicts if v.taken]

    @property
    def held_back(self) -> list[FileVerdict]:
        return [v for v in self.verdicts if v.held_back]

    @property
    def ok(self) -> bool:
        """No file held back and the totals reconcile."""
        return not self.held_back and (self.reconciliation is None or self.reconciliation.ok)

    def summary_text(self) -> str:
        t = Counter()
        for v in self.taken:
            t.update(v.totals())
        by_rule = Counter(p.rule_id for p in self.problems)
        verb = "试汇总（未写入）" if self.dry_run else "汇总完成"
        text = (f"{verb}：{len(self.verdicts)} 个文件，采用 {len(self.taken)} 个，未改动 "
                f"{sum(1 for v in self.verdicts if v.status in UNCHANGED)} 个，暂缓或无法使用 {len(self.held_back)} 个；"
                f"新增 {t['新增']} 行，修改 {t['修改']} 行，删除 {t['删除']} 行；"
                f"问题 {len(self.problems)} 个")
        if by_rule:
            text += "（" + "，".join(f"{k} {n}" for k, n in sorted(by_rule.items())) + "）"
        if self.reconciliation is not None:
            text += "；对账" + ("一致" if self.reconciliation.ok else "不一致！")
        return text


# ----------------------------------------------------------------------------- helpers

class _Stage:
    """Maps a step's own progress (done/total) onto part of the whole run."""

    def __init__(self, progress: Progress, index: float, count: int, prefix: str = "") -> None:
        self.progress, self.index, self.count, self.prefix = progress, index, max(count, 1), prefix

    def update(self, done: int, total: int, text: str = "") -> None:
        frac = min(done / total, 1.0) if total else 0.0
        self.progress.update(int((self.index + frac) * 1000), self.count * 1000, f"{self.prefix}{text}")

    def check(self) -> None:
        self.progress.check()

    @property
    def cancelled(self) -> bool:
        return self.progress.cancelled


@dataclass
class _Header:
    path: Path
    manifest: Manifest | None = None
    error: ExchangeError | None = None


def _read_header(path: Path) -> _Header:
    try:
        wb = open_workbook(path)
        try:
            return _Header(path, read_manifest(wb, path))
        finally:
            wb.close()
    except ExchangeError as exc:
        return _Header(path, error=exc)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class _Round:
    sequence: int | None
    digest: str | None
    file_name: str | None


def last_round(session: Session, township_code: str) -> _Round | None:
    """The township's last consolidated (taken) file, from ``exchange_log``."""
    q = (select(ExchangeLog.sequence, ExchangeLog.digest, ExchangeLog.file_name, ExchangeLog.summary)
         .where(ExchangeLog.direction == DIRECTION, ExchangeLog.township_code == township_code)
         .order_by(ExchangeLog.id.desc()))
    for sequence, digest, name, summary in session.execute(q):
        try:
            info = json.loads(summary or "{}")
        except ValueError:
            info = {}
        if info.get("taken"):
            # the digest computed from the data (an accepted edited file's 说明 still has the old one)
            return _Round(sequence, info.get("computed_digest") or digest, name)
    return None


def ensure_county_database(session: Session) -> None:
    """Make the database a county database (setting ``database.kind``), or refuse a township one."""
    if database_kind(session) == "county":
        return
    towns = session.execute(select(Township.code, Township.name)).all()
    if len(towns) == 1:
        code, name = towns[0]
        raise ConsolidationError(
            f"该数据库是乡镇“{name}”（{code}）的数据库，不能用作县级汇总库。请为县级汇总新建一个数据库文件"
            "（如 --db 县汇总.sqlite3）。")
    session.merge(Setting(key=DATABASE_KIND_KEY, value="county"))
    povertylines.seed_defaults(session)
    session.flush()


def _label(sheet_key: str, v: dict[str, Any], hh_number: str | None) -> str:
    """A short human name for a record: 户编号 and name, year, date…"""
    def text(x: Any) -> str:
        return "" if x is None else fmt.canonical_text(x)

    if sheet_key == "townships":
        return text(v.get("name"))
    if sheet_key == "villages":
        return f"{text(v.get('name'))}（{text(v.get('code'))}）"
    if sheet_key == "groups":
        return text(v.get("name"))
    if sheet_key == "helpers":
        return f"帮扶责任人 {text(v.get('name'))}（{text(v.get('unit')) or '单位未填'}）"
    if sheet_key == "households":
        return f"户 {text(v.get('household_number')) or '（无户编号）'}"
    parts = [f"户 {hh_number}" if hh_number else "户 ?"]
    if sheet_key == "members":
        parts.append(text(v.get("name")))
    elif sheet_key in ("plans", "incomes", "exits"):
        parts.append(f"{text(v.get('year'))}年度")
    elif sheet_key == "measures":
        parts.append(f"{text(v.get('year'))}年度 {text(v.get('category'))}")
    elif sheet_key == "visits":
        parts.append(f"走访 {text(v.get('visited_on'))}")
    return " ".join(p for p in parts if p)


# ----------------------------------------------------------------------------- one pass

class _Pass:
    """One attempt at taking the files in, inside the caller's transaction."""

    def __init__(self, session: Session, headers: list[_Header], accept: bool | set[Path],
                 excluded: dict[str, list[Conflict]], progress: Progress, operator: str | None) -> None:
        self.session = session
        self.headers = headers
        self.accept = accept
        self.excluded = excluded
        self.progress = progress
        self.operator = operator
        self.verdicts = [FileVerdict(path=h.path) for h in headers]
        self.changes: list[Change] = []
        self.conflicts: list[Conflict] = []
        self.new_exclusions: dict[str, list[Conflict]] = {}
        self.taken_codes: set[str] = set()
        self.same_sequence: dict[str, _Round] = {}  # township -> last round, for files of its sequence
        self.names: dict[str, str] = dict(session.execute(select(Township.code, Township.name)).all())

    # ----- step 1: manifests and rounds -------------------------------------
    def _county_code(self) -> str | None:
        codes = list(self.session.scalars(select(County.code)))
        if len(codes) == 1:
            return codes[0]
        if codes:
            return None
        found = Counter(h.manifest.county_code for h in self.headers if h.manifest is not None
                        and len(h.manifest.township_codes) == 1)
        return found.most_common(1)[0][0] if found else None

    def classify(self) -> list[FileVerdict]:
        county = self._county_code()
        by_town: dict[str, list[FileVerdict]] = {}
        for h, v in zip(self.headers, self.verdicts, strict=True):
            if h.error is not None:
                v.status, v.message = "refused", str(h.error)
                continue
            m = h.manifest
            v.county_code = m.county_code
            v.sequence = m.sequence
            v.exported_at = m.exported_at
            v.manifest_digest = m.digest
            v.manifest_rows = dict(m.row_counts)
            if len(m.township_codes) == 1:
                v.township_code = m.township_codes[0]
                v.township_name = m.township_names[0] if m.township_names else v.township_code
                self.names.setdefault(v.township_code, v.township_name)
            if len(m.township_codes) != 1:
                v.status = "not_township"
                v.message = (f"“{h.path.name}”含 {len(m.township_codes)} 个乡镇（{'、'.join(m.township_codes) or '无'}），"
                             "不是乡镇报送的交换表，未汇总。")
            elif county and m.county_code != county:
                v.status = "other_county"
                v.message = f"“{h.path.name}”是县“{m.county_name}”（{m.county_code}）的数据，不属于本县（{county}），未汇总。"
            elif m.sequence is None:
                v.status = "no_sequence"
                v.message = f"“{h.path.name}”的“说明”中没有导出序号，无法判断新旧，暂缓汇总。请乡镇重新导出。"
            else:
                by_town.setdefault(v.township_code, []).append(v)
        candidates: list[FileVerdict] = []
        for code, files in sorted(by_town.items()):
            files.sort(key=lambda f: f.sequence, reverse=True)
            best = files[0]
            ties = [f for f in files if f.sequence == best.sequence]
            for f in files[1:]:
                if f.sequence == best.sequence:
                    if f.manifest_digest == best.manifest_digest:
                        f.status = "duplicate"
                        f.message = f"“{f.path.name}”与“{best.path.name}”是同一次导出（序号 {f.sequence}），只汇总一次。"
                else:
                    f.status = "superseded"
                    f.message = (f"本次还有乡镇“{f.township_name}”更新的文件“{best.path.name}”（序号 {best.sequence}），"
                                 f"“{f.path.name}”（序号 {f.sequence}）未采用。")
            if len({f.manifest_digest for f in ties}) > 1:
                for f in ties:
                    f.status = "same_sequence"
                    f.message = (f"乡镇“{f.township_name}”本次有两个导出序号都是 {f.sequence} 但数据不同的文件"
                                 f"（{'、'.join(t.path.name for t in ties)}），无法判断哪个正确，暂缓汇总。")
                continue
            prev = last_round(self.session, code)
            for f in files:
                f.previous_sequence = prev.sequence if prev else None
            if prev is not None and prev.sequence is not None and best.sequence < prev.sequence:
                best.status = "older"
                best.message = (f"“{best.path.name}”的导出序号 {best.sequence} 小于上次汇总的 {prev.sequence}"
                                f"（{Path(prev.file_name or '').name}），是较旧的文件，未作改动。")
            elif prev is not None and best.sequence == prev.sequence:
                # The same export as last time? Read it anyway: only its verified digest can tell.
                self.same_sequence[code] = prev
                candidates.append(best)
            else:
                candidates.append(best)
        return candidates

    # ----- step 2: the candidates ---------------------------------------------
    def run(self) -> None:
        candidates = self.classify()
        queue = list(candidates)
        pending = {v.township_code for v in queue}
        waited: set[str] = set()
        done = 0
        total = len(candidates) + 1
        while queue:
            v = queue.pop(0)
            code = v.township_code
            stage = _Stage(self.progress, done, total, f"{v.township_name}：")
            if code in self.excluded:
                pending.discard(code)
                self._hold_conflict(v, self.excluded[code], same_run=True)
                done += 1
                continue
            plan = self._plan(v, stage)
            if plan is None:
                pending.discard(code)
                done += 1
                continue
            foreign = self._foreign(plan, code)
            waiting = {other for _k, _u, _r, other in foreign if other in pending and other != code}
            if waiting and code not in waited:
                # The other township's newer file comes later in this run and may no longer have
                # these records (they moved): take that file first, then read this one again.
                waited.add(code)
                queue.append(v)
                del plan
                continue
            pending.discard(code)
            done += 1
            if foreign:
                conflicts = self._conflicts(v, plan, foreign)
                self._hold_conflict(v, conflicts, same_run=False)
                if plan.has_errors:
                    v.message += f"文件另有 {plan.error_count} 个错误（多由冲突引起，见文件问题）。"
                for other in {c.other_township_code for c in conflicts} & self.taken_codes:
                    mirror = [c for c in conflicts if c.other_township_code == other]
                    self.new_exclusions.setdefault(other, []).extend(mirror)
                    self.new_exclusions.setdefault(code, []).extend(mirror)
            elif plan.has_errors:
                v.status = "errors"
                v.error_count = plan.error_count
                v.message = (f"“{v.path.name}”有 {plan.error_count} 个错误（见文件问题），暂缓汇总，"
                             "县库中该乡镇的数据未作改动。")
            elif code in self.same_sequence and plan.computed_digest == self.same_sequence[code].digest:
                self._same_sequence(v, plan)  # the very data taken last time (even if its 说明 is stale)
            elif plan.edited and not v.accepted_edited:
                v.status = "edited"
                v.message = (f"“{v.path.name}”在导出后被修改过或已损坏（{'；'.join(plan.edited_reasons)}），暂缓汇总。"
                             "核对无误后可确认采用（--accept-edited）。")
            elif code in self.same_sequence and not self._same_sequence(v, plan):
                pass
            else:
                self._apply(v, plan, stage)
            del plan

    def _same_sequence(self, v: FileVerdict, plan: ImportPlan) -> bool:
        """A verified file with the sequence number of the last round: identical (nothing to do) or,
        with other data, held back. An edited file the officer accepted is taken. Returns whether to
        take the file."""
        prev = self.same_sequence[v.township_code]
        if plan.computed_digest == prev.digest:
            v.status = "identical"
            t = {"新增": 0, "修改": 0, "删除": 0}
            for sp in plan.sheets.values():
                v.counts[sp.sheet.title] = {"新增": 0, "修改": 0, "不变": sp.rows, "删除": 0}
                t["新增"] += len(sp.added)
                t["修改"] += len(sp.updated)
            removed = self._removed(plan, v.township_code)
            t["删除"] = sum(len(ids) for ids in removed.values())
            v.message = f"“{v.path.name}”与上次汇总的文件相同（序号 {v.sequence}，数据摘要经核算相同），未作改动。"
            if any(t.values()):
                v.message += (f"注意：县库中该乡镇的数据在上次汇总后被改动过（与文件相比多 {t['删除']} 行、少 {t['新增']} 行、"
                              f"{t['修改']} 行不同），未被覆盖。")
            return False
        if v.accepted_edited:
            return True
        v.status = "same_sequence"
        v.message = (f"“{v.path.name}”的导出序号 {v.sequence} 与上次汇总的相同，但数据不同（数据摘要不同；乡镇数据库可能"
                     "从备份恢复后又导出过），无法判断哪个正确，暂缓汇总。请乡镇重新导出。")
        return False

    def _accepts(self, path: Path) -> bool:
        if isinstance(self.accept, bool):
            return self.accept
        return path.resolve() in self.accept

    def _plan(self, v: FileVerdict, stage: _Stage) -> ImportPlan | None:
        """Read, check and compare the file (None when it cannot be read at all)."""
        tids = scope.township_ids(self.session, v.township_code)
        try:
            plan = plan_import(self.session, v.path, stage, compare_township_ids=tids)
        except ImportRejected as exc:
            v.status, v.message = "errors", str(exc)
            v.problems = list(exc.problems[:MAX_FILE_PROBLEMS])
            v.error_count = len(exc.problems)
            return None
        except ExchangeError as exc:
            v.status, v.message = "refused", str(exc)
            return None
        v.read_rows = {sp.sheet.title: sp.rows for sp in plan.sheets.values()}
        v.computed_digest = plan.computed_digest
        v.problems = list(plan.problems[:MAX_FILE_PROBLEMS])
        v.edited, v.edited_reasons = plan.edited, list(plan.edited_reasons)
        v.accepted_edited = plan.edited and self._accepts(v.path)
        return plan

    def _foreign(self, plan: ImportPlan, code: str) -> list[tuple[str, str, int, str]]:
        """(sheet key, uuid, row, other township) of added rows whose UUID another township holds."""
        found = []
        for key, sp in plan.sheets.items():
            if not sp.added:
                continue
            rows = {values[0]: row_no for row_no, values in sp.added}
            for chunk in _chunks(list(rows)):
                for uid, other in self.session.execute(scope.owners_query(key, chunk)):
                    if other != code:
                        found.append((key, uid, rows[uid], other))
        return found

    def _conflicts(self, v: FileVerdict, plan: ImportPlan, foreign: list[tuple[str, str, int, str]]) -> list[Conflict]:
        values_of: dict[str, tuple] = {}
        wanted = {u for _k, u, _r, _o in foreign[:MAX_CONFLICTS]}
        for sp in plan.sheets.values():
            for _row_no, values in sp.added:
                if values[0] in wanted:
                    values_of[values[0]] = values
        hh_numbers = self._household_numbers(plan, [self._hh_of(key, values_of.get(uid, ()))
                                                     for key, uid, _r, _o in foreign[:MAX_CONFLICTS]])
        result = []
        for key, uid, row, other in foreign[:MAX_CONFLICTS]:
            sheet = fmt.sheet_by_key()[key]
            attrs = [c.attr for c in sheet.data_columns]
            vals = dict(zip(attrs, values_of.get(uid, ()), strict=False))
            hh = vals.get("household_id")
            source = "本次已汇总的文件" if other in self.taken_codes else "县库中上次汇总的数据"
            result.append(Conflict(
                file=v.path.name, township_code=v.township_code, township_name=v.township_name or "",
                sheet=sheet.title, row=row, uuid=uid, record=_label(key, vals, hh_numbers.get(hh)),
                other_township_code=other, other_township_name=self.names.get(other, other), other_source=source,
                household_uuid=self._db_household_of(key, uid),
            ))
        v.conflict_count = len(foreign)
        return result

    def _household_numbers(self, plan: ImportPlan, wanted: Iterable[str | None]) -> dict[str, str | None]:
        """户编号 of households by UUID: from the file, else from the database."""
        result: dict[str, str | None] = {}
        sp = plan.sheets.get("households")
        if sp is not None:
            i = [c.attr for c in sp.sheet.data_columns].index("household_number")
            result.update({values[0]: values[i] for _r, values in sp.added})
            result.update({values[0]: values[i] for _r, values, _c in sp.updated})
        missing = sorted({u for u in wanted if u} - set(result))
        for chunk in _chunks(missing):
            result.update(dict(self.session.execute(
                select(Household.uuid, Household.household_number).where(Household.uuid.in_(chunk))).all()))
        return result

    @staticmethod
    def _hh_of(sheet_key: str, values: tuple) -> str | None:
        """The household UUID of a file row (its own UUID for a household)."""
        if not values:
            return None
        if sheet_key == "households":
            return values[0]
        attrs = [c.attr for c in fmt.sheet_by_key()[sheet_key].data_columns]
        return values[attrs.index("household_id")] if "household_id" in attrs else None

    def _db_household_of(self, sheet_key: str, uid: str) -> str | None:
        if sheet_key == "households":
            return uid
        model = fmt.sheet_by_key()[sheet_key].model
        if "household_id" not in model.__table__.c:
            return None
        return self.session.scalar(select(Household.uuid).join(model, model.household_id == Household.id)
                                   .where(model.uuid == uid))

    def _hold_conflict(self, v: FileVerdict, conflicts: list[Conflict], *, same_run: bool) -> None:
        v.status = "conflict"
        v.conflicts = list(conflicts)
        v.conflict_count = max(v.conflict_count, len(conflicts))
        others = sorted({(c.other_township_code, c.other_township_name) for c in conflicts}
                        | {(c.township_code, c.township_name) for c in conflicts if c.township_code != v.township_code})
        names = "、".join(f"{n}（{c}）" for c, n in others if c != v.township_code)
        extra = "本次两个乡镇的文件都暂缓汇总，" if same_run else ""
        v.message = (f"“{v.path.name}”有 {v.conflict_count} 条记录的 UUID 与乡镇 {names} 的相同：两个乡镇登记了同一条记录。"
                     f"{extra}县库中两个乡镇的数据都未作改动，请核实后由相关乡镇更正再报送。")
        for c in conflicts:
            if c not in self.conflicts:
                self.conflicts.append(c)

    # ----- applying ---------------------------------------------------------------
    def _apply(self, v: FileVerdict, plan: ImportPlan, stage: _Stage) -> None:
        code = v.township_code
        had_rows = bool(scope.township_ids(self.session, code))
        removed = self._removed(plan, code)
        v.status = "newer" if had_rows or v.previous_sequence is not None else "first"
        apply_plan(self.session, plan, operator=self.operator, accept_edited=v.accepted_edited, progress=stage,
                   log_direction=DIRECTION, log_extra={"taken": True, "status": v.status,
                                                        "computed_digest": plan.computed_digest})
        deleted = self._delete(v, removed)
        self.taken_codes.add(code)
        for sp in plan.sheets.values():
            v.counts[sp.sheet.title] = {"新增": len(sp.added), "修改": len(sp.updated), "不变": sp.unchanged,
                                        "删除": len(deleted.get(sp.sheet.key, []))}
        if v.status == "first":
            v.message = f"“{v.path.name}”首次汇总：新增 {v.totals()['新增']} 行。"
        else:
            t = v.totals()
            v.message = (f"“{v.path.name}”替换了乡镇“{v.township_name}”在县库中的数据：新增 {t['新增']} 行，"
                         f"修改 {t['修改']} 行，删除 {t['删除']} 行，不变 {t['不变']} 行。")
            self.changes.extend(self._changes(v, plan, deleted))
        if v.kept:
            v.message += f"另有 {len(v.kept)} 条文件中已没有的记录仍被引用，未删除（见变更明细）。"

    def _removed(self, plan: ImportPlan, code: str) -> dict[str, list[int]]:
        """Sheet key -> ids of the township's rows the file no longer has (computed before applying)."""
        result: dict[str, list[int]] = {}
        for sheet in fmt.sheets():
            if sheet.key == "townships":
                continue
            matched = plan.sheets[sheet.key].matched
            gone = [i for u, i in self.session.execute(scope.township_rows_query(sheet.key, code)) if u not in matched]
            if gone:
                result[sheet.key] = gone
        return result

    def _delete(self, v: FileVerdict, removed: dict[str, list[int]]) -> dict[str, list[tuple[str, str, str | None]]]:
        """Delete rows the file no longer has, children first, through the ORM (so the audit log has
        each); a row still referenced by another row is kept and reported. Returns sheet key ->
        [(uuid, label, household uuid)] of deleted rows."""
        deleted: dict[str, list[tuple[str, str, str | None]]] = {}
        referencing: dict[str, list[tuple[Any, str]]] = {}
        for s in fmt.sheets():
            for c in s.refs:
                referencing.setdefault(c.ref_sheet, []).append((s.model, c.attr))
        for sheet in reversed(fmt.sheets()):
            ids = removed.get(sheet.key)
            if not ids:
                continue
            self.session.flush()
            still: set[int] = set()
            for model, attr in referencing.get(sheet.key, []):
                col = getattr(model, attr)
                for chunk in _chunks(ids):
                    still.update(i for i in self.session.scalars(select(col).where(col.in_(chunk)).distinct()) if i)
            model = sheet.model
            for chunk in _chunks(ids):
                for obj in self.session.scalars(select(model).where(model.id.in_(chunk))):
                    label, hh_uuid = self._orm_label(sheet, obj)
                    if obj.id in still:
                        v.kept.append(f"{sheet.title} {label}（UUID {obj.uuid}）")
                        self.changes.append(Change(v.township_code, v.township_name or "", sheet.title, "未删除（仍被引用）",
                                                   obj.uuid, label, household_uuid=hh_uuid))
                        continue
                    deleted.setdefault(sheet.key, []).append((obj.uuid, label, hh_uuid))
                    self.session.delete(obj)
            self.session.flush()
        return deleted

    def _orm_label(self, sheet: fmt.Sheet, obj: Any) -> tuple[str, str | None]:
        values = {c.attr: getattr(obj, c.attr, None) for c in sheet.data_columns if c.kind != fmt.REF}
        hh = getattr(obj, "household", None) if sheet.key != "households" else obj
        number = hh.household_number if hh is not None else None
        return _label(sheet.key, values, number), (hh.uuid if hh is not None else None)

    def _changes(self, v: FileVerdict, plan: ImportPlan,
                 deleted: dict[str, list[tuple[str, str, str | None]]]) -> list[Change]:
        code, name = v.township_code, v.township_name or ""
        wanted: set[str] = set()
        for sp in plan.sheets.values():
            wanted.update(self._hh_of(sp.sheet.key, values) for _r, values in sp.added)
            wanted.update(self._hh_of(sp.sheet.key, values) for _r, values, _c in sp.updated)
            # a child moved to another household: show both households' numbers
            wanted.update(c["household_id"][0] for _r, _v, c in sp.updated if "household_id" in c)
        hh_numbers = self._household_numbers(plan, wanted)
        out: list[Change] = []
        for sheet in fmt.sheets():
            sp = plan.sheets[sheet.key]
            cols = sheet.data_columns
            attrs = [c.attr for c in cols]
            hh_i = attrs.index("household_id") if "household_id" in attrs else None

            def household_uuid(values: tuple, key: str = sheet.key, hh_i: int | None = hh_i) -> str | None:
                if key == "households":
                    return values[0]
                return values[hh_i] if hh_i is not None else None

            for _row_no, values in sp.added:
                vals = dict(zip(attrs, values, strict=True))
                hh = household_uuid(values)
                out.append(Change(code, name, sheet.title, "新增", values[0], _label(sheet.key, vals, hh_numbers.get(hh)),
                                  household_uuid=hh))
            for _row_no, values, changes in sp.updated:
                vals = dict(zip(attrs, values, strict=True))
                hh = household_uuid(values)
                label = _label(sheet.key, vals, hh_numbers.get(hh))
                for attr, (old, new) in changes.items():
                    out.append(Change(code, name, sheet.title, "修改", values[0], label, sheet.column(attr).header,
                                      _display(sheet, attr, old, hh_numbers), _display(sheet, attr, new, hh_numbers),
                                      household_uuid=hh))
            for uid, label, hh in deleted.get(sheet.key, []):
                out.append(Change(code, name, sheet.title, "删除", uid, label, household_uuid=hh))
        return out

    # ----- the exchange log of files not taken ---------------------------------------
    def log_untaken(self) -> None:
        for v in self.verdicts:
            if v.taken:
                continue
            self.session.add(ExchangeLog(
                direction=DIRECTION, township_code=v.township_code, sequence=v.sequence,
                digest=v.manifest_digest or None, file_name=str(v.path)[:300], operator=self.operator,
                summary=json.dumps({"taken": False, "status": v.status, "message": v.message[:500]}, ensure_ascii=False),
            ))
        self.session.flush()


def _display(sheet: fmt.Sheet, attr: str, value: Any, hh_numbers: dict[str, str | None]) -> Any:
    """A changed reference shows the household's 户编号 where known, else the UUID."""
    column = sheet.column(attr)
    if column.kind == fmt.REF and column.ref_sheet == "households" and value in hh_numbers:
        return f"户 {hh_numbers[value]}"
    return value


# ----------------------------------------------------------------------------- the whole run

def _check_output(path: Path | None, what: str) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ConsolidationError(f"{what}的文件名应以 .xlsx 结尾：“{path.name}”")
    if not path.parent.is_dir():
        raise ConsolidationError(f"{what}的文件夹“{path.parent}”不存在。")
    return path


def consolidate(
    database: Database,
    paths: Iterable[str | Path],
    *,
    accept_edited: bool | Iterable[str | Path] = False,
    operator: str | None = None,
    out: str | Path | None = None,
    problems_out: str | Path | None = None,
    report_out: str | Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ConsolidationResult:
    """Take the township workbooks ``paths`` into the county ``database`` (see the module docstring).

    ``accept_edited``: True takes every edited file, or the paths of the edited files the officer
    accepted. ``out``: write the county workbook (exchange format) and reconcile against it;
    ``problems_out``: the problems workbook (verdicts, reconciliation, changes, problems);
    ``report_out``: the summary report by township and village. ``dry_run`` rolls everything back
    (and writes no county workbook or report). Raises ConsolidationError when nothing can run;
    ``Cancelled`` leaves the database unchanged."""
    from desktop.core.county import duplicates, reconcile, workbooks

    progress = progress or NULL_PROGRESS
    started = time.perf_counter()
    timings: dict[str, float] = {}
    out = _check_output(out, "县汇总表") if not dry_run else None
    problems_out = _check_output(problems_out, "问题清单")
    report_out = _check_output(report_out, "汇总报表") if not dry_run else None
    unique: dict[Path, Path] = {}
    for p in paths:
        unique.setdefault(Path(p).resolve(), Path(p))
    if not unique:
        raise ConsolidationError("请至少选择一个乡镇交换表文件。")
    accept: bool | set[Path] = accept_edited if isinstance(accept_edited, bool) else {
        Path(p).resolve() for p in accept_edited}
    progress.update(0, 1, "正在读取各文件的说明…")
    headers = [_read_header(p) for p in unique.values()]
    excluded: dict[str, list[Conflict]] = {}
    passes = 0
    while True:
        passes += 1
        with database.session() as session:
            session.info["operator"] = operator
            ensure_county_database(session)
            t0 = time.perf_counter()
            run = _Pass(session, headers, accept, excluded, progress, operator)
            run.run()
            if run.new_exclusions and passes <= len(headers) + 1:
                for code, conflicts in run.new_exclusions.items():
                    excluded.setdefault(code, []).extend(conflicts)
                session.rollback()
                continue
            run.log_untaken()
            timings["read, check and take in"] = time.perf_counter() - t0
            progress.update(90, 100, "正在查找重复人员…")
            t0 = time.perf_counter()
            problems = duplicates.find_duplicates(session)
            problems = duplicates.conflict_problems(run.conflicts) + problems
            timings["duplicate checks"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            snapshot = reconcile.snapshot(session)
            timings["database counts"] = time.perf_counter() - t0
            if dry_run:
                session.rollback()
        break
    result = ConsolidationResult(
        verdicts=run.verdicts, changes=run.changes, conflicts=run.conflicts, problems=problems, dry_run=dry_run,
        passes=passes, database=str(database.path or ""),
    )
    written = None
    empty = not snapshot.names
    pending = [name for name, path in (("县汇总表", out), ("问题清单", problems_out), ("汇总报表", report_out)) if path]
    try:
        if out is not None and empty:
            result.notes.append("县库中还没有任何乡镇的数据，未写县汇总表。")
            pending.remove("县汇总表")
        elif out is not None:
            from desktop.core.exchange.export import ExportOptions, export_database

            t0 = time.perf_counter()
            export_database(database, out, ExportOptions(operator=operator, run_checks=False),
                            _Stage(progress, 0, 1, "正在写县汇总表："))
            timings["county workbook (export)"] = time.perf_counter() - t0
            result.county_workbook = Path(out)
            t0 = time.perf_counter()
            progress.update(96, 100, "正在读回县汇总表核对行数…")
            written = reconcile.read_workbook(out)
            timings["county workbook read back"] = time.perf_counter() - t0
            pending.remove("县汇总表")
        result.reconciliation = reconcile.build(run.verdicts, snapshot, written)
        if problems_out is not None:
            t0 = time.perf_counter()
            progress.update(98, 100, "正在写问题清单…")
            workbooks.write_problems_workbook(result, problems_out)
            result.problems_workbook = Path(problems_out)
            timings["problems workbook"] = time.perf_counter() - t0
            pending.remove("问题清单")
        if report_out is not None and empty:
            result.notes.append("县库中还没有任何乡镇的数据，未写汇总报表。")
        elif report_out is not None:
            t0 = time.perf_counter()
            progress.update(99, 100, "正在生成汇总报表…")
            workbooks.write_summary_report(database, report_out)
            result.report = Path(report_out)
            timings["summary report"] = time.perf_counter() - t0
        pending = []
    except Cancelled:
        # The consolidation itself is committed; only the outputs not yet written are missing.
        if result.reconciliation is None:
            result.reconciliation = reconcile.build(run.verdicts, snapshot, None)
        result.notes.append(f"已取消：汇总{'（试汇总未写入）' if dry_run else '已写入县库'}，但未写{'、'.join(pending)}。")
    result.seconds = time.perf_counter() - started
    result.timings = timings
    if not progress.cancelled:
        progress.update(100, 100, result.summary_text())
    return result
