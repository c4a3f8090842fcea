"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999) and 残疾人证号.

Qt-free. Structure of the 18 characters (domain reference §4.1):

* 1-6   address code (GB/T 2260) of the county where the number was *issued*;
        it never changes, so a retired or unknown code is only a warning;
* 7-14  birth date YYYYMMDD;
* 15-17 sequence code; digit 17 is odd for men, even for women;
* 18    check character, ISO 7064 MOD 11-2 ("X" stands for 10).

The checksum and the region table come from :mod:`stdnum.cn.ric`. We do not call
``stdnum.cn.ric.validate`` itself: it rejects numbers whose region code is not valid in
the person's birth year (for example every 泌阳县 number 411726… of a person born before
2000, or the standard's own example 440524188001010014).

Age convention of the app: **age at 31 December of the 年度** (:func:`age_at_year_end`).

Error messages (``IdNumberError.reason``) are Simplified Chinese for the user; ``code``
is a short English machine code.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum import numdb
from stdnum.cn import ric

__all__ = [
    "DISABILITY_GRADES",
    "DISABILITY_TYPES",
    "EARLIEST_BIRTH_DATE",
    "DisabilityCert",
    "IdInfo",
    "IdNumberError",
    "age_at_year_end",
    "check_char",
    "is_valid",
    "looks_excel_corrupted",
    "mask",
    "normalise",
    "parse",
    "parse_disability_cert",
    "region_name",
    "upgrade15",
]

EARLIEST_BIRTH_DATE = date(1880, 1, 1)

# 残疾类别 (19th digit) and 残疾等级 (20th digit) of a second-generation 残疾人证号.
# The type digit is [O] in the domain reference (one source swaps 1 and 2).
DISABILITY_TYPES: dict[str, str] = {
    "1": "视力残疾",
    "2": "听力残疾",
    "3": "言语残疾",
    "4": "肢体残疾",
    "5": "智力残疾",
    "6": "精神残疾",
    "7": "多重残疾",
}
DISABILITY_GRADES: dict[str, str] = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}

# Two-digit province prefixes of GB/T 2260 (81/82/83: HK, Macau, Taiwan residence permits).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

_EXCEL_NUMBER_MSG = (
    "该身份证号码已被 Excel 转成数字（科学计数法），末几位已丢失，请将该列设置为文本后重新录入"
)
_EXCEL_INT_MSG = "该身份证号码已被 Excel 转成数字，末几位已丢失，请将该列设置为文本后重新录入"
_EXCEL_ZEROS_MSG = (
    "该身份证号码末三位为 000 且校验位错误，很可能已被 Excel 当作数字保存而丢失末几位，"
    "请将该列设置为文本后重新录入"
)


class IdNumberError(ValueError):
    """An ID (or disability certificate) number that cannot be accepted.

    ``reason`` is a Chinese message for the user, ``code`` one of: ``length``, ``chars``,
    ``date``, ``future``, ``too_old``, ``checksum``, and for 残疾人证号 also
    ``disability_type`` and ``disability_grade``.
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __repr__(self) -> str:
        return f"IdNumberError({self.reason!r}, code={self.code!r})"


# --------------------------------------------------------------------------- normalise

# Characters removed anywhere: whitespace is handled by str.split(); these are the
# invisible ones that str.split() does not treat as whitespace.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# ASCII lowercase -> uppercase only (so the result stays NFKC-stable); '×' is what
# Chinese input methods often produce when the user types the check character "X".
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)} | {ord("×"): ord("X")}
_EXCEL_FORMULA = re.compile(r'^="(.*)"$', re.DOTALL)


def _normalise_once(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)  # full-width digits/letters, U+3000, Ⅹ -> X
    s = "".join(s.translate(_INVISIBLE).split())
    while True:
        m = _EXCEL_FORMULA.match(s)
        if m:
            s = m.group(1)
        elif s.startswith("'"):
            s = s[1:]
        elif len(s) >= 2 and s[0] == s[-1] == '"':
            s = s[1:-1]
        else:
            break
    return s.translate(_UPPER)


def normalise(raw: str) -> str:
    """Return ``raw`` cleaned for storage and comparison.

    Removes all whitespace (also U+3000 and inner spaces) and zero-width characters,
    maps full-width digits and letters to ASCII, uppercases ASCII letters (x -> X, also
    '×' -> 'X'), and unwraps the ``'…`` / ``="…"`` / ``"…"`` forms that Excel and CSV
    users add to keep a number as text. Idempotent. Does not validate.
    """
    if raw is None:
        return ""
    s = raw if isinstance(raw, str) else str(raw)
    for _ in range(8):  # NFKC can compose across removed spaces; iterate to a fixpoint
        new = _normalise_once(s)
        if new == s:
            break
        s = new
    return s


# --------------------------------------------------------------------------- region


@functools.lru_cache(maxsize=4096)
def _region_lookup(code: str) -> tuple[str | None, str | None]:
    """(province name, county field) from stdnum's GB/T 2260 table, or Nones."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None, None
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    return info.get("province"), info.get("county")


def _region_known(code: str) -> bool:
    if code[:2] not in _PROVINCES:
        return False
    _province, county = _region_lookup(code)
    return bool(county)


def region_name(code: str) -> str | None:
    """Name of a 6-digit GB/T 2260 code, e.g. ``"河南省泌阳县"``, or None if unknown.

    Retired codes are known too (``"440524"`` → ``"广东省潮阳县（1983–1993）"``). When a code
    was used for several units over time, the most recent one is named.
    """
    province, county = _region_lookup(code)
    if not county:
        return None
    entries = []
    for item in county.split(","):
        start = end = ""
        if item.startswith("[") and "]" in item:
            period, item = item[1:].split("]", 1)
            start, _, end = period.partition("-")
        entries.append((start, end, item))
    # Prefer a current unit (open end), else the one that ended last.
    start, end, name = max(entries, key=lambda e: (e[1] == "", e[1], e[0]))
    if province and name != province and not name.startswith(province):
        name = province + name
    if end:
        name += f"（{start}–{end}）"
    return name


# --------------------------------------------------------------------------- IdInfo


def age_at_year_end(birth: date, year: int) -> int:
    """Age in completed years on 31 December of ``year`` (the app's 年度 convention).

    Simply ``year - birth.year``; negative when the person was born after that year
    (callers that check data quality should treat that as an error).
    """
    return year - birth.year


def _age_at(birth: date, ref: date) -> int:
    years = ref.year - birth.year
    if (ref.month, ref.day) < (birth.month, birth.day):
        years -= 1  # a 29 February birthday completes on 1 March in common years
    return years


@dataclass(frozen=True)
class IdInfo:
    """A valid resident ID number and what it encodes."""

    number: str  # 18 characters, normalised
    birth_date: date
    sex: str  # '男' or '女'
    region_code: str
    region_known: bool  # False: code not in the GB/T 2260 table (a warning, not an error)
    upgraded_from_15: bool = False

    def age_at(self, ref: date) -> int:
        """Age in completed years on ``ref``."""
        return _age_at(self.birth_date, ref)

    def age_at_year_end(self, year: int) -> int:
        """Age on 31 December of ``year`` (the app's convention)."""
        return age_at_year_end(self.birth_date, year)

    @property
    def region_name(self) -> str | None:
        return region_name(self.region_code)

    @property
    def region_warning(self) -> str | None:
        """A Chinese warning when the region code is unknown, else None."""
        if self.region_known:
            return None
        if self.region_code[:2] not in _PROVINCES:
            return f"地区码 {self.region_code} 的省级代码无效，请核对"
        return f"地区码 {self.region_code} 不在行政区划代码表中（可能为已撤销的旧代码），请核对"


# --------------------------------------------------------------------------- parsing


def _check_digits(s: str, *, allow_x_at: int | None = None) -> None:
    for i, ch in enumerate(s):
        if "0" <= ch <= "9" or (ch == "X" and i == allow_x_at):
            continue
        raise IdNumberError(f"含非数字字符（第 {i + 1} 位为“{ch}”）", "chars")


def check_char(first17: str) -> str:
    """The MOD 11-2 check character ('0'–'9' or 'X') for the first 17 digits."""
    s = normalise(first17)
    _check_digits(s)
    if len(s) != 17:
        raise IdNumberError(f"计算校验位需要前17位数字（实为 {len(s)} 位）", "length")
    return ric.calc_check_digit(s + "0")


def upgrade15(raw15: str) -> str:
    """Convert a 15-digit first-generation number to 18 digits.

    Inserts "19" before the 2-digit year and appends the check character:
    110105491231002 → 11010519491231002X. Checks only length and characters; use
    :func:`parse` to validate the date. (The 1989 standard's special sequence codes for
    centenarians, who would need "18", are not supported.)
    """
    s = normalise(raw15)
    _check_digits(s)
    if len(s) != 15:
        raise IdNumberError(f"15位身份证号码长度应为15位（实为 {len(s)} 位）", "length")
    first17 = s[:6] + "19" + s[6:]
    return first17 + ric.calc_check_digit(first17 + "0")


def _parse_date(number: str, ref_date: date) -> date:
    ymd = number[6:14]
    try:
        born = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
    except ValueError:
        raise IdNumberError(f"出生日期无效：{ymd}", "date") from None
    if born < EARLIEST_BIRTH_DATE:
        raise IdNumberError(f"出生日期早于1880年：{ymd}", "too_old")
    if born > ref_date:
        raise IdNumberError(f"出生日期晚于参照日期：出生 {ymd}，参照日期 {ref_date:%Y%m%d}", "future")
    return born


def _parse18(s: str, ref_date: date, *, upgraded: bool = False) -> IdInfo:
    expected = ric.calc_check_digit(s)
    if s[17] != expected:
        reason = f"身份证号码校验位错误：应为 {expected}，实为 {s[17]}"
        if s.endswith("000"):
            reason += "（末三位为 000，可能已被 Excel 截断）"
        raise IdNumberError(reason, "checksum")
    born = _parse_date(s, ref_date)
    region = s[:6]
    return IdInfo(
        number=s,
        birth_date=born,
        sex="男" if int(s[16]) % 2 else "女",
        region_code=region,
        region_known=_region_known(region),
        upgraded_from_15=upgraded,
    )


def parse(raw: str, *, ref_date: date | None = None) -> IdInfo:
    """Validate an 18-digit (or legacy 15-digit) ID number and decode it.

    Raises :class:`IdNumberError` for a wrong length or characters, a wrong check
    character, an impossible birth date, one before 1880-01-01 or after ``ref_date``
    (default: today). 15-digit numbers are upgraded (``upgraded_from_15=True``). An
    unknown region code is not an error (``region_known=False``).

    The check character is verified before the date, so a single mistyped digit is
    always reported as ``checksum`` (MOD 11-2 catches every single-digit error).
    """
    ref = ref_date or date.today()
    s = normalise(raw)
    if not s:
        raise IdNumberError("身份证号码为空", "length")
    _check_digits(s, allow_x_at=len(s) - 1)
    if len(s) == 18:
        return _parse18(s, ref)
    if len(s) == 15:
        if s.endswith("X"):
            raise IdNumberError("15位身份证号码没有校验位，不应含“X”", "chars")
        _parse_date(s[:6] + "19" + s[6:], ref)  # date error before upgrading
        return _parse18(upgrade15(s), ref, upgraded=True)
    raise IdNumberError(f"长度应为18位（实为 {len(s)} 位）", "length")


def is_valid(raw: str) -> bool:
    """True if :func:`parse` accepts ``raw`` (18 or 15 digits, checked against today)."""
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def mask(number: str) -> str:
    """Mask for display and printing: ``411726********123X``.

    Shows the first 6 and last 4 characters when at least 11 are present; shorter or
    odd input is masked entirely (same length). Never raises.
    """
    try:
        s = normalise(number)
    except Exception:  # a display helper must never fail
        return ""
    if len(s) >= 11:
        return s[:6] + "*" * (len(s) - 10) + s[-4:]
    return "*" * len(s)


# --------------------------------------------------------------------------- 残疾人证号


@dataclass(frozen=True)
class DisabilityCert:
    """A second-generation 残疾人证号: 18-digit ID + type digit + grade digit (+2 digits)."""

    id_info: IdInfo
    type_label: str  # e.g. '肢体残疾'
    grade_label: str  # e.g. '二级'
    type_code: str = ""  # '1'..'7'
    grade_code: str = ""  # '1'..'4' (1 = most severe)
    number: str = ""  # the whole normalised certificate number (20 or 22 characters)


def parse_disability_cert(raw: str, *, ref_date: date | None = None) -> DisabilityCert:
    """Validate a 20-digit (or 22-digit re-issued) 残疾人证号 and decode it."""
    s = normalise(raw)
    if not s:
        raise IdNumberError("残疾人证号为空", "length")
    _check_digits(s, allow_x_at=17)
    if len(s) not in (20, 22):
        raise IdNumberError(f"残疾人证号长度应为20位或22位（实为 {len(s)} 位）", "length")
    try:
        info = _parse18(s[:18], ref_date or date.today())
    except IdNumberError as exc:
        raise IdNumberError(f"残疾人证号前18位：{exc.reason}", exc.code) from None
    t, g = s[18], s[19]
    if t not in DISABILITY_TYPES:
        raise IdNumberError(f"残疾类别代码无效：{t}（应为1–7）", "disability_type")
    if g not in DISABILITY_GRADES:
        raise IdNumberError(f"残疾等级代码无效：{g}（应为1–4）", "disability_grade")
    return DisabilityCert(
        id_info=info,
        type_label=DISABILITY_TYPES[t],
        grade_label=DISABILITY_GRADES[g],
        type_code=t,
        grade_code=g,
        number=s,
    )


# --------------------------------------------------------------------------- Excel damage

_SCIENTIFIC = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^([0-9]+)\.0*$")


def looks_excel_corrupted(value: Any) -> str | None:
    """Explain (in Chinese) how Excel damaged an ID number, or return None.

    Recognises: a numeric cell value (float, or an int of 16+ digits that fails the
    checksum), scientific notation such as ``"4.11726E+17"``, a float rendered as
    ``"411726199001011000.0"``, and an 18-digit string ending in "000" whose check
    character is wrong. 15-digit numbers survive Excel intact and are not reported.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) < 1e15:
            return None
        return _EXCEL_NUMBER_MSG
    if isinstance(value, int):
        digits = str(abs(value))
        if len(digits) < 16:
            return None
        if len(digits) == 18 and ric.calc_check_digit(digits) == digits[-1]:
            return None  # exact (e.g. from a CSV read as int64); just needs str()
        return _EXCEL_INT_MSG
    if not isinstance(value, str):
        return None
    s = normalise(value)
    if _SCIENTIFIC.match(s):
        return _EXCEL_NUMBER_MSG
    m = _DECIMAL.match(s)
    if m and len(m.group(1)) >= 16:
        return _EXCEL_INT_MSG
    if len(s) == 18 and s.isascii() and s.isdigit() and s.endswith("000"):
        if ric.calc_check_digit(s) != s[-1]:
            return _EXCEL_ZEROS_MSG
    return None
