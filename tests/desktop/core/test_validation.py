"""Field sanitising: control characters and absurd lengths are refused with a Chinese message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import Household, Member, Visit
from desktop.core.validation import (
    TEXT_MAX,
    FieldValueError,
    RecordErrors,
    check_text,
    clean_record,
    clean_text,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张\x00三", "空字符 NUL（U+0000）"),
        ("张\x1b三", "转义符 ESC"),
        ("张\x07三", "控制字符（U+0007）"),
        ("张\x85三", "控制字符（U+0085）"),
        ("张\u202e三", "文字方向控制符（U+202E）"),
        ("张\ufffd三", "乱码替换字符"),
        ("张\ud800三", "不成对的代理字符"),
        ("张\uffff三", "非字符码位（U+FFFF）"),
        ("张\n三", "换行符"),
        ("张\t三", "制表符 TAB"),
    ],
)
def test_forbidden_characters_are_named(value: str, expected: str) -> None:
    with pytest.raises(FieldValueError) as info:
        check_text(value, label="姓名")
    message = str(info.value)
    assert message.startswith("“姓名”的第 2 个字符是不允许的")
    assert expected in message
    assert info.value.label == "姓名"


def test_multiline_fields_accept_line_breaks_and_tabs_only() -> None:
    check_text("第一行\n第二行\t缩进\r\n", label="走访内容", multiline=True)
    with pytest.raises(FieldValueError):
        check_text("第一行\x00", label="走访内容", multiline=True)


def test_lengths() -> None:
    check_text("甲" * 50, label="姓名", max_length=50)
    with pytest.raises(FieldValueError) as info:
        check_text("甲" * 51, label="姓名", max_length=50)
    assert "过长：51 个字符，最多允许 50 个" in str(info.value)
    check_text("字" * TEXT_MAX, label="备注", multiline=True)
    with pytest.raises(FieldValueError):
        check_text("字" * (TEXT_MAX + 1), label="备注", multiline=True)


def test_private_use_characters_are_allowed_for_rare_names() -> None:
    check_text("王\ue000明", label="姓名")


def test_clean_text_tidies_then_checks() -> None:
    assert clean_text("  张三\u3000") == "张三"
    assert clean_text("泌水镇\r\n一组\t东头") == "泌水镇 一组 东头"
    assert clean_text("a\r\nb", multiline=True) == "a\nb"
    assert clean_text("   ") is None
    assert clean_text(None) is None
    with pytest.raises(FieldValueError):
        clean_text("a\x01b")


@given(st.text())
def test_clean_text_either_returns_storable_text_or_raises_field_error(value: str) -> None:
    try:
        cleaned = clean_text(value, label="地址", max_length=200)
    except FieldValueError as exc:
        assert str(exc).startswith("“地址”")
    else:
        if cleaned is not None:
            check_text(cleaned, max_length=200)  # what clean_text returns always passes
            assert cleaned == cleaned.strip()


def test_clean_record_uses_column_lengths_and_reports_every_field() -> None:
    ok = clean_record(Member, {"name": " 李四 ", "seq": 3, "id_number": None})
    assert ok == {"name": "李四", "seq": 3, "id_number": None}
    with pytest.raises(RecordErrors) as info:
        clean_record(Member, {"name": "甲" * 51, "phone": "139\x000000", "seq": 1})
    labels = [e.label for e in info.value.errors]
    assert labels == ["姓名", "成员联系电话"]
    assert "过长" in str(info.value) and "空字符" in str(info.value)


def test_flush_guard_refuses_bad_values_and_changes_nothing(demo_db) -> None:
    with demo_db.session() as s:
        household = s.scalars(select(Household).limit(1)).one()
        uuid, old_address = household.uuid, household.address
    with pytest.raises(FieldValueError) as info:
        with demo_db.session() as s:
            household = s.scalars(select(Household).where(Household.uuid == uuid)).one()
            household.address = "泌水镇\x00"
    assert "家庭住址" in str(info.value) and "household" in str(info.value)
    with demo_db.session() as s:
        assert s.scalars(select(Household.address).where(Household.uuid == uuid)).one() == old_address


def test_flush_guard_checks_new_rows_and_long_text(demo_db) -> None:
    with pytest.raises(FieldValueError):
        with demo_db.session() as s:
            household = s.scalars(select(Household).limit(1)).one()
            s.add(Visit(household=household, visited_on=household.created_at.date(), content="x" * (TEXT_MAX + 1)))
    with demo_db.session() as s:  # a fine value still saves
        household = s.scalars(select(Household).limit(1)).one()
        household.address = "泌水镇一组"


def test_flush_guard_ignores_unchanged_legacy_values(demo_db) -> None:
    from sqlalchemy import text

    with demo_db.engine.begin() as conn:  # a value that predates the guard, written bypassing the ORM
        conn.execute(text("UPDATE household SET natural_village = :v WHERE id = 1"), {"v": "a\x07b"})
    with demo_db.session() as s:
        household = s.get(Household, 1)
        household.phone = "13912345678"  # editing another field is not blocked by the old value
