"""Check settings: ages, thresholds, which rules run, severity overrides.

Defaults come from ``resources/rules.yaml``. A database may override any of them:
the ``setting`` row ``checks.rules`` holds a partial YAML mapping that is merged
over the defaults (mappings key by key, everything else replaced), so the
settings travel with the data to the county.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import IncomeRecord, Setting
from desktop.core.paths import resource

SETTING_KEY = "checks.rules"
WORK_YEAR_KEY = "work_year"
SEVERITIES = ("错误", "警告")


class SettingsError(ValueError):
    """Settings that cannot be used; the message is Chinese."""


@cache
def _defaults_raw() -> dict[str, Any]:
    with resource("rules.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def defaults() -> dict[str, Any]:
    """A fresh copy of the default settings mapping."""
    return copy.deepcopy(_defaults_raw())


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``: mappings recursively, the rest replaced."""
    result = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _pair(raw: dict, section: str, key: str) -> tuple[int, int]:
    value = raw.get(section, {}).get(key)
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise SettingsError(f"检查设置 {section}.{key} 应为两个整数组成的区间，如 [16, 65]（实为 {value!r}）")
    low, high = value
    if low > high:
        raise SettingsError(f"检查设置 {section}.{key} 的下限大于上限：{value!r}")
    return int(low), int(high)


def _number(raw: dict, section: str, key: str) -> float:
    value = raw.get(section, {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"检查设置 {section}.{key} 应为数字（实为 {value!r}）")
    return value


@dataclass(frozen=True)
class Settings:
    """Typed view of the merged settings mapping."""

    raw: dict[str, Any]
    year: int | None
    working_age: tuple[int, int]
    student_status_age: tuple[int, int]
    labour_skill_age: tuple[int, int]
    compulsory_school_age: tuple[int, int]
    max_plausible_age: int
    young_in_senior_school: int
    old_in_primary_school: int
    min_generation_gap: int
    per_capita_income_max: float
    cultivated_land_per_capita_max: float
    forest_land_per_capita_max: float
    road_distance_km_max: float
    phone_length: int
    work_months_max: int
    publicity_min_days: int
    max_households_per_helper: int
    min_visits_per_year: int
    same_grade_years: int
    exit_statuses: frozenset[str]
    no_helper_needed_statuses: frozenset[str]
    disabled: frozenset[str]
    severity: dict[str, str] = field(default_factory=dict)
    village_max_incidence: float = 0.02
    village_indicators: tuple[str, ...] = ()
    village_optional_indicators: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Settings:
        year = raw.get("year")
        if year is not None and not isinstance(year, int):
            raise SettingsError(f"检查设置 year 应为年份整数或 null（实为 {year!r}）")
        severity = dict(raw.get("severity") or {})
        for rule_id, value in severity.items():
            if value not in SEVERITIES:
                raise SettingsError(f"检查设置 severity.{rule_id} 应为“错误”或“警告”（实为 {value!r}）")
        village = raw.get("village_exit") or {}
        return cls(
            raw=raw,
            year=year,
            working_age=_pair(raw, "ages", "working"),
            student_status_age=_pair(raw, "ages", "student_status_required"),
            labour_skill_age=_pair(raw, "ages", "labour_skill_required"),
            compulsory_school_age=_pair(raw, "ages", "compulsory_school"),
            max_plausible_age=int(_number(raw, "ages", "max_plausible")),
            young_in_senior_school=int(_number(raw, "ages", "young_in_senior_school")),
            old_in_primary_school=int(_number(raw, "ages", "old_in_primary_school")),
            min_generation_gap=int(_number(raw, "ages", "min_generation_gap")),
            per_capita_income_max=_number(raw, "thresholds", "per_capita_income_max"),
            cultivated_land_per_capita_max=_number(raw, "thresholds", "cultivated_land_per_capita_max"),
            forest_land_per_capita_max=_number(raw, "thresholds", "forest_land_per_capita_max"),
            road_distance_km_max=_number(raw, "thresholds", "road_distance_km_max"),
            phone_length=int(_number(raw, "thresholds", "phone_length")),
            work_months_max=int(_number(raw, "thresholds", "work_months_max")),
            publicity_min_days=int(_number(raw, "thresholds", "publicity_min_days")),
            max_households_per_helper=int(_number(raw, "thresholds", "max_households_per_helper")),
            min_visits_per_year=int(_number(raw, "thresholds", "min_visits_per_year")),
            same_grade_years=int(_number(raw, "thresholds", "same_grade_years")),
            exit_statuses=frozenset(raw.get("exit_statuses") or ()),
            no_helper_needed_statuses=frozenset(raw.get("no_helper_needed_statuses") or ()),
            disabled=frozenset(str(r) for r in (raw.get("disabled") or ())),
            severity=severity,
            village_max_incidence=float(village.get("max_incidence", 0.02)),
            village_indicators=tuple(village.get("indicators") or ()),
            village_optional_indicators=tuple(village.get("optional_indicators") or ()),
        )

    def with_overrides(self, override: dict[str, Any]) -> Settings:
        return Settings.from_mapping(merge(self.raw, override))


def stored_overrides(session: Session) -> dict[str, Any]:
    """The partial mapping kept in the database (empty when none)."""
    text = session.scalar(select(Setting.value).where(Setting.key == SETTING_KEY))
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"数据库中的检查设置（{SETTING_KEY}）不是有效的 YAML：{exc}") from None
    if not isinstance(value, dict):
        raise SettingsError(f"数据库中的检查设置（{SETTING_KEY}）应为键值映射")
    return value


def save_overrides(session: Session, override: dict[str, Any]) -> None:
    """Validate and store a partial settings mapping in the database."""
    Settings.from_mapping(merge(defaults(), override))  # raises SettingsError when unusable
    text = yaml.safe_dump(override, allow_unicode=True, sort_keys=False)
    row = session.get(Setting, SETTING_KEY)
    if row is None:
        session.add(Setting(key=SETTING_KEY, value=text))
    else:
        row.value = text


def load(session: Session | None = None, override: dict[str, Any] | None = None) -> Settings:
    """Defaults, then the database's overrides (if a session is given), then ``override``."""
    raw = defaults()
    if session is not None:
        raw = merge(raw, stored_overrides(session))
    if override:
        raw = merge(raw, override)
    return Settings.from_mapping(raw)


def check_year(session: Session, settings: Settings) -> int:
    """The 年度 the checks refer to (see ``year`` in rules.yaml)."""
    if settings.year is not None:
        return settings.year
    stored = session.scalar(select(Setting.value).where(Setting.key == WORK_YEAR_KEY))
    if stored and str(stored).strip().isdigit():
        return int(str(stored).strip())
    latest = session.scalar(select(func.max(IncomeRecord.year)))
    if latest:
        return int(latest)
    return date.today().year
