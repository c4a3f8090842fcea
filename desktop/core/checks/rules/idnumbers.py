"""ID numbers (身份证号码, 残疾人证号), domain.md §4.1 and §5.2.1."""

from __future__ import annotations

from desktop.core import idnumber
from desktop.core.checks.data import normalised_id
from desktop.core.checks.engine import ERROR, WARNING, Finding, rule

CAT = "身份证号码"
ID_NEEDS = ("member.id_number", "member.id_type")


def _by_kind(ds, kinds: tuple[str, ...]):
    groups = ds.id_scan()
    for kind in kinds:
        yield from groups.get(kind, ())


@rule("ID01", ERROR, "证件号码为空", category=CAT, needs=ID_NEEDS,
      description="在册成员的证件号码为空。")
def id_empty(ds):
    for hv, m, _r in _by_kind(ds, ("empty",)):
        yield Finding(hv, "证件号码为空", m, "id_number")


@rule("ID02", ERROR, "证件号码位数或字符错误", category=CAT, needs=ID_NEEDS,
      description="居民身份证号码不是15/18位（残疾人证号20/22位），或含非数字字符（第18位可为 X）。")
def id_length(ds):
    for hv, m, r in _by_kind(ds, ("length", "chars")):
        yield Finding(hv, f"证件号码{r.detail}", m, "id_number", value=m.id_number)


@rule("ID03", WARNING, "15位旧身份证号码", category=CAT, needs=ID_NEEDS,
      description="15位第一代身份证号码，应升级为18位。")
def id_upgrade15(ds):
    for hv, m, r in _by_kind(ds, ("upgrade15",)):
        yield Finding(hv, r.detail, m, "id_number", value=m.id_number)


@rule("ID04", ERROR, "身份证号码校验位错误", category=CAT, needs=ID_NEEDS,
      description="18位身份证号码的第18位校验码（ISO 7064 MOD 11-2）与前17位不符。")
def id_checksum(ds):
    for hv, m, r in _by_kind(ds, ("checksum",)):
        yield Finding(hv, f"身份证号码{r.detail}", m, "id_number", value=m.id_number)


@rule("ID05", ERROR, "身份证号码出生日期无效", category=CAT, needs=ID_NEEDS,
      description="身份证号码中的出生日期不存在（如2月30日）、早于1880年或晚于今天。")
def id_date(ds):
    for hv, m, r in _by_kind(ds, ("date",)):
        yield Finding(hv, f"身份证号码{r.detail}", m, "id_number", value=m.id_number)


@rule("ID06", ERROR, "身份证号码月份大于12", category=CAT, needs=ID_NEEDS,
      description="身份证号码第11–12位（出生月份）不在01–12之间。")
def id_month(ds):
    for hv, m, r in _by_kind(ds, ("month",)):
        yield Finding(hv, f"身份证号码{r.detail}", m, "id_number", value=m.id_number)


@rule("ID07", ERROR, "残疾人证号无效", category=CAT,
      needs=(*ID_NEEDS, "member.disability_cert_no"),
      description="残疾证号（或作为证件号码登记的20/22位残疾人证号）位数、前18位身份证号码、残疾类别码(1–7)或等级码(1–4)有误。")
def disability_cert_invalid(ds):
    for hv, m, r in _by_kind(ds, ("cert",)):
        yield Finding(hv, f"证件号码（残疾人证号）无效：{r.detail}", m, "id_number", value=m.id_number)
    for m in ds.truthy("disability_cert_no"):
        cert = m.disability_cert_no
        if cert.strip() and _cert_of(ds, m) is None:
            reason = ds._cache["certs"][cert].reason
            yield Finding(ds.hv_of(m), f"残疾证号无效：{reason}", m, "disability_cert_no", value=cert)


@rule("ID08", ERROR, "性别与身份证号码不符", category=CAT, needs=(*ID_NEEDS, "member.sex"),
      description="登记的性别与身份证号码第17位（奇数为男、偶数为女）不符。")
def id_sex(ds):
    for hv, m, r in _by_kind(ds, ("sex",)):
        yield Finding(hv, f"登记为“{m.sex}”，身份证号码显示为“{r.sex}”", m, "sex", value=m.sex)


@rule("ID09", ERROR, "出生日期与身份证号码不符", category=CAT, needs=(*ID_NEEDS, "member.birth_date"),
      description="登记的出生日期与身份证号码第7–14位不符。")
def id_birth(ds):
    for hv, m, r in _by_kind(ds, ("birth",)):
        yield Finding(hv, f"登记为 {m.birth_date:%Y-%m-%d}，身份证号码显示为 {r.birth:%Y-%m-%d}", m,
                          "birth_date", value=m.birth_date)


@rule("ID10", WARNING, "身份证地区码不在区划代码表中", category=CAT, needs=ID_NEEDS,
      description="身份证号码前6位不在 GB/T 2260 行政区划代码表（含已撤销代码）中。号码终身不变，故只作警告。")
def id_region(ds):
    for hv, m, _r in _by_kind(ds, ("region",)):
        code = normalised_id(m.id_number)[:6]
        yield Finding(hv, f"地区码 {code} 不在行政区划代码表中，请核对", m, "id_number", value=m.id_number)


def _cert_of(ds, m):
    cert = m.disability_cert_no
    if not cert or not cert.strip():
        return None
    cache = ds._cache.setdefault("certs", {})
    if cert not in cache:
        try:
            cache[cert] = idnumber.parse_disability_cert(cert, ref_date=ds.ref_date)
        except idnumber.IdNumberError as exc:
            cache[cert] = exc
    found = cache[cert]
    return None if isinstance(found, Exception) else found


def _bad_ids(ds) -> set[str]:
    """uuids of members whose own ID number is faulty (reported by ID01–ID07)."""
    found = ds._cache.get("bad_ids")
    if found is None:
        found = {m.uuid for kind, group in ds.id_scan().items() if kind not in ("sex", "birth", "region")
                 for _hv, m, _r in group}
        ds._cache["bad_ids"] = found
    return found


@rule("ID11", WARNING, "残疾证号与身份证号码不符", category=CAT,
      needs=(*ID_NEEDS, "member.disability_cert_no"),
      description="残疾证号的前18位与本人身份证号码不同。")
def cert_mismatch(ds):
    bad = _bad_ids(ds)
    for m in ds.truthy("disability_cert_no"):
        if m.uuid in bad:
            continue
        cert = _cert_of(ds, m)
        number = normalised_id(m.id_number)
        if cert is not None and len(number) == 18 and cert.id_info.number != number:
            yield Finding(ds.hv_of(m), f"残疾证号前18位 {cert.id_info.number} 与身份证号码 {number} 不同", m,
                          "disability_cert_no", value=m.disability_cert_no)


@rule("ID12", WARNING, "残疾证号中的类别或等级与登记不符", category=CAT,
      needs=("member.disability_cert_no", "member.disability_type", "member.disability_grade"),
      description="残疾证号第19位（残疾类别）或第20位（残疾等级）与登记的残疾类别、残疾等级不一致。")
def cert_type_grade(ds):
    for m in ds.truthy("disability_cert_no"):
        cert = _cert_of(ds, m)
        if cert is None:
            continue
        if m.disability_type and m.disability_type != cert.type_label:
            yield Finding(ds.hv_of(m), f"登记为“{m.disability_type}”，残疾证号显示为“{cert.type_label}”", m,
                          "disability_type", value=m.disability_type)
        elif m.disability_grade and m.disability_grade != cert.grade_label:
            yield Finding(ds.hv_of(m), f"登记为“{m.disability_grade}”，残疾证号显示为“{cert.grade_label}”", m,
                          "disability_grade", value=m.disability_grade)
