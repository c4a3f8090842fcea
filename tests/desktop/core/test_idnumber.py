"""Tests for desktop.core.idnumber (GB 11643-1999 resident ID numbers, 残疾人证号)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.core import idnumber as idn
from desktop.core.idnumber import IdInfo, IdNumberError

REF = date(2018, 6, 30)
GB_FEMALE = "11010519491231002X"
GB_MALE = "440524188001010014"


def make(first17: str) -> str:
    return first17 + idn.check_char(first17)


def raises(raw: str, code: str, **kw) -> IdNumberError:
    with pytest.raises(IdNumberError) as exc_info:
        idn.parse(raw, **kw)
    assert exc_info.value.code == code, exc_info.value.reason
    return exc_info.value


# --------------------------------------------------------------------------- examples


def test_gb_example_female():
    info = idn.parse(GB_FEMALE, ref_date=REF)
    assert info == IdInfo(GB_FEMALE, date(1949, 12, 31), "女", "110105", True, False)
    assert info.region_name == "北京市朝阳区"
    assert info.region_warning is None


def test_gb_example_male_with_retired_region():
    # stdnum.cn.ric.validate rejects this number (440524 was only valid 1983-1993 and
    # the holder was born in 1880); we must accept it.
    info = idn.parse(GB_MALE, ref_date=REF)
    assert info.number == GB_MALE
    assert info.birth_date == date(1880, 1, 1)
    assert info.sex == "男"
    assert info.region_code == "440524"
    # The code is a real (retired) GB/T 2260 code, so it is "known"; its name says so.
    assert info.region_known is True
    assert info.region_name == "广东省潮阳县（1983–1993）"
    assert idn.is_valid(GB_MALE)


def test_biyang_number_born_before_code_existed_is_known():
    # 411726 (泌阳县) dates from 2000 in stdnum's table; people born earlier keep it.
    n = make("41172619700101123")
    info = idn.parse(n, ref_date=REF)
    assert info.region_known is True
    assert info.region_name == "河南省泌阳县"
    assert info.sex == "男"


@pytest.mark.parametrize("region", ["990000", "411799", "000000"])
def test_unknown_region_is_only_a_warning(region):
    info = idn.parse(make(region + "19800101002"), ref_date=REF)
    assert info.region_known is False
    assert info.region_warning and info.region_code in info.region_warning
    assert info.sex == "女"


# --------------------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    "raw",
    [
        GB_FEMALE,
        "11010519491231002x",
        " 110105 1949 1231 002x ",
        "\u3000１１０１０５１９４９１２３１００２Ｘ\u3000",
        "１１０１０５１９４９１２３１００２ｘ",
        "'11010519491231002X",
        '="11010519491231002X"',
        '＝"11010519491231002x"',
        '"11010519491231002X"',
        "\t11010519491231002X\n",
        "\u200b11010519491231002X\ufeff",
        "11010519491231002×",
        "11010519491231002Ⅹ",
    ],
)
def test_normalise_variants(raw):
    assert idn.normalise(raw) == GB_FEMALE
    assert idn.parse(raw, ref_date=REF).number == GB_FEMALE


def test_normalise_keeps_garbage_visible():
    assert idn.normalise("abc-12") == "ABC-12"
    assert idn.normalise("") == ""
    assert idn.normalise(None) == ""  # type: ignore[arg-type]


# --------------------------------------------------------------------------- errors


def test_length_error_message():
    e = raises("11010519491231002", "length", ref_date=REF)
    assert e.reason == "长度应为18位（实为 17 位）"
    assert str(e) == e.reason
    assert isinstance(e, ValueError)
    raises("1101051949123100201", "length", ref_date=REF)
    raises("", "length")
    raises("   ", "length")


def test_length_error_for_17_chars_ending_in_x():
    assert raises("1101051949123100X", "length", ref_date=REF).reason == "长度应为18位（实为 17 位）"


@pytest.mark.parametrize("raw", ["1101051949123100AX", "11010519491231X02X", "11010519-491231002", "张三"])
def test_chars_error(raw):
    e = raises(raw, "chars", ref_date=REF)
    assert e.reason.startswith("含非数字字符")


def test_fifteen_digits_cannot_end_in_x():
    raises("11010549123100X", "chars", ref_date=REF)


def test_checksum_error_message():
    e = raises("110105194912310023", "checksum", ref_date=REF)
    assert e.reason == "身份证号码校验位错误：应为 X，实为 3"


def test_checksum_error_hints_at_excel_for_000():
    e = raises("411726198501011000", "checksum", ref_date=REF)
    assert "Excel" in e.reason


def test_impossible_date():
    e = raises(make("11010519491332002"), "date", ref_date=REF)
    assert e.reason == "出生日期无效：19491332"
    raises(make("11010519490229002"), "date", ref_date=REF)  # 1949 is not a leap year
    raises(make("11010519490001002"), "date", ref_date=REF)


def test_leap_day_is_fine():
    assert idn.parse(make("11010520000229002"), ref_date=REF).birth_date == date(2000, 2, 29)


def test_future_date():
    e = raises(make("11010520180701002"), "future", ref_date=REF)
    assert e.reason.startswith("出生日期晚于参照日期")
    # the reference date itself is allowed
    assert idn.parse(make("11010520180630002"), ref_date=REF).birth_date == REF


def test_future_default_is_today():
    tomorrow = date.today() + timedelta(days=1)
    raises(make("110105" + tomorrow.strftime("%Y%m%d") + "002"), "future")
    assert idn.parse(make("110105" + date.today().strftime("%Y%m%d") + "002"))


def test_too_old():
    raises(make("11010518791231001"), "too_old", ref_date=REF)
    assert idn.parse(make("11010518800101001"), ref_date=REF).birth_date == date(1880, 1, 1)


# --------------------------------------------------------------------------- 15 digits


def test_upgrade15_standard_example():
    assert idn.upgrade15("110105491231002") == GB_FEMALE
    assert idn.upgrade15(" １１０１０５４９１２３１００２ ") == GB_FEMALE


def test_parse_15_digits():
    info = idn.parse("110105491231002", ref_date=REF)
    assert info.number == GB_FEMALE
    assert info.upgraded_from_15 is True
    assert info.sex == "女"
    assert info.birth_date == date(1949, 12, 31)


def test_parse_15_digits_bad_date():
    e = raises("110105491332002", "date", ref_date=REF)
    assert e.reason == "出生日期无效：19491332"


@pytest.mark.parametrize(("raw", "code"), [("11010549123100", "length"), ("11010549123100A", "chars")])
def test_upgrade15_errors(raw, code):
    with pytest.raises(IdNumberError) as exc_info:
        idn.upgrade15(raw)
    assert exc_info.value.code == code


def test_check_char():
    assert idn.check_char("11010519491231002") == "X"
    assert idn.check_char("44052418800101001") == "4"
    with pytest.raises(IdNumberError):
        idn.check_char("1101051949123100")
    with pytest.raises(IdNumberError):
        idn.check_char("1101051949123100A")


def test_is_valid():
    assert idn.is_valid(GB_FEMALE)
    assert idn.is_valid("110105491231002")
    assert not idn.is_valid("110105194912310023")
    assert not idn.is_valid("")
    assert not idn.is_valid("hello")


# --------------------------------------------------------------------------- ages


def test_age_at_completed_years():
    info = idn.parse(make("41172619800615001"), ref_date=REF)
    assert info.age_at(date(2018, 6, 14)) == 37
    assert info.age_at(date(2018, 6, 15)) == 38
    assert info.age_at(date(1980, 6, 15)) == 0


def test_age_at_leap_day_birthday():
    info = idn.parse(make("41172620000229001"), ref_date=REF)
    assert info.age_at(date(2017, 2, 28)) == 16
    assert info.age_at(date(2017, 3, 1)) == 17
    assert info.age_at(date(2016, 2, 29)) == 16


def test_age_at_year_end():
    assert idn.age_at_year_end(date(1980, 12, 31), 2017) == 37
    assert idn.age_at_year_end(date(1980, 1, 1), 2017) == 37
    assert idn.age_at_year_end(date(2018, 3, 1), 2017) == -1
    info = idn.parse(make("41172619801231001"), ref_date=REF)
    assert info.age_at_year_end(2017) == 37


# --------------------------------------------------------------------------- mask


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("41172619850101123X", "411726********123X"),
        ("41172619850101123x", "411726********123X"),
        ("110105491231002", "110105*****1002"),
        ("11010519491231002X42", "110105**********2X42"),
        ("12345678901", "123456*8901"),
        ("1234567890", "**********"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask(raw, masked):
    assert idn.mask(raw) == masked


# --------------------------------------------------------------------------- 残疾人证号


def test_disability_cert_20():
    cert = idn.parse_disability_cert("11010519491231002x42", ref_date=REF)
    assert cert.id_info.number == GB_FEMALE
    assert cert.type_label == "肢体残疾"
    assert cert.grade_label == "二级"
    assert (cert.type_code, cert.grade_code) == ("4", "2")
    assert cert.number == "11010519491231002X42"


def test_disability_cert_22():
    cert = idn.parse_disability_cert(GB_MALE + "7101", ref_date=REF)
    assert cert.type_label == "多重残疾"
    assert cert.grade_label == "一级"
    assert cert.id_info.number == GB_MALE


@pytest.mark.parametrize(("digit", "label"), list(idn.DISABILITY_TYPES.items()))
def test_disability_types(digit, label):
    assert idn.parse_disability_cert(GB_FEMALE + digit + "4", ref_date=REF).type_label == label


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (GB_FEMALE, "length"),
        (GB_FEMALE + "4", "length"),
        (GB_FEMALE + "423", "length"),
        (GB_FEMALE + "02", "disability_type"),
        (GB_FEMALE + "82", "disability_type"),
        (GB_FEMALE + "40", "disability_grade"),
        (GB_FEMALE + "45", "disability_grade"),
        ("110105194912310023" + "42", "checksum"),
        (make("11010519491332002") + "42", "date"),
        (GB_FEMALE + "4A", "chars"),
        ("", "length"),
    ],
)
def test_disability_cert_errors(raw, code):
    with pytest.raises(IdNumberError) as exc_info:
        idn.parse_disability_cert(raw, ref_date=REF)
    assert exc_info.value.code == code
    assert exc_info.value.reason


def test_disability_cert_error_mentions_embedded_id():
    with pytest.raises(IdNumberError) as exc_info:
        idn.parse_disability_cert("110105194912310023" + "42", ref_date=REF)
    assert "前18位" in exc_info.value.reason
    assert "校验位错误" in exc_info.value.reason


# --------------------------------------------------------------------------- Excel damage


@pytest.mark.parametrize(
    "value",
    [
        4.11726199001011e17,
        411726199001011000.0,
        "4.11726E+17",
        "4.11726199001011E+17",
        "4.11726e17",
        " 4.11726E+17 ",
        "411726199001011000.0",
        411726199001011000,
        "411726199001011000",
        "'411726198501011000",
    ],
)
def test_excel_corrupted_detected(value):
    msg = idn.looks_excel_corrupted(value)
    assert msg and "Excel" in msg and "文本" in msg


def test_excel_scientific_message():
    assert idn.looks_excel_corrupted("4.11726E+17") == (
        "该身份证号码已被 Excel 转成数字（科学计数法），末几位已丢失，请将该列设置为文本后重新录入"
    )


@pytest.mark.parametrize(
    "value",
    [
        GB_FEMALE,
        GB_MALE,
        "411726198501010000",  # genuinely ends in 000 and the check character is right
        int(GB_MALE),
        110105491231002,  # 15 digits survive Excel
        110105491231002.0,
        "110105491231002",
        "hello",
        "",
        None,
        True,
        3.5,
        float("nan"),
        ["x"],
    ],
)
def test_excel_corrupted_not_flagged(value):
    assert idn.looks_excel_corrupted(value) is None


# --------------------------------------------------------------------------- properties

TODAY = date.today()


@st.composite
def valid_numbers(draw) -> tuple[str, date]:
    region = draw(
        st.sampled_from(["110105", "411726", "411721", "440524", "990000"]) | st.from_regex(r"\A[0-9]{6}\Z")
    )
    born = draw(st.dates(min_value=date(1880, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + idn.check_char(first17), born


@given(valid_numbers())
def test_property_round_trip(item):
    number, born = item
    info = idn.parse(number, ref_date=TODAY)
    assert info.number == number
    assert info.birth_date == born
    assert info.sex == ("男" if int(number[16]) % 2 else "女")
    assert info.region_code == number[:6]
    assert not info.upgraded_from_15
    assert idn.parse(number.lower(), ref_date=TODAY) == info
    assert info.age_at(TODAY) >= 0


@given(valid_numbers())
def test_property_round_trip_through_15_digits(item):
    number, born = item
    if not 1900 <= born.year <= 1999:
        return
    short = number[:6] + number[8:17]
    assert idn.upgrade15(short) == number
    info = idn.parse(short, ref_date=TODAY)
    assert info.number == number and info.upgraded_from_15


@given(st.text())
@settings(max_examples=500)
def test_property_normalise_idempotent(s):
    once = idn.normalise(s)
    assert idn.normalise(once) == once


@given(valid_numbers(), st.sampled_from(["full", "space", "excel", "quote"]))
def test_property_normalise_accepts_decorations(item, how):
    number, _ = item
    decorated = {
        "full": number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ")),
        "space": " ".join([number[:6], number[6:14], number[14:]]) + "\u3000",
        "excel": f'="{number}"',
        "quote": "'" + number,
    }[how]
    assert idn.normalise(decorated) == number


@given(valid_numbers(), st.integers(0, 17), st.data())
def test_property_single_change_rejected(item, pos, data):
    number, _ = item
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != number[pos]]))
    changed = number[:pos] + new + number[pos + 1 :]
    with pytest.raises(IdNumberError) as exc_info:
        idn.parse(changed, ref_date=TODAY)
    assert exc_info.value.code in {"checksum", "date"}


@given(st.text(max_size=30))
def test_property_parse_raises_only_id_number_error(s):
    try:
        info = idn.parse(s, ref_date=TODAY)
    except IdNumberError as e:
        assert e.code in {"length", "chars", "date", "future", "too_old", "checksum"}
        assert e.reason
    else:
        assert len(info.number) == 18
    assert isinstance(idn.mask(s), str)
