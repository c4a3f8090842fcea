from __future__ import annotations

import pytest

from desktop.core import codelists


def test_all_lists_load_with_titles_and_years() -> None:
    lists = codelists.all_lists()
    assert len(lists) >= 30
    for name, codelist in lists.items():
        assert codelist.labels, name
        assert codelist.title, name
        assert codelist.valid_from is not None, name


def test_national_codes_are_kept() -> None:
    assert codelists.get("poverty_cause").code_of("因病") == "01"
    assert codelists.get("relation_to_head").code_of("之女") == "04"


def test_aliases_and_codes_normalise_to_labels() -> None:
    assert codelists.normalise("health_status", "大病") == "患有大病"
    assert codelists.normalise("relation_to_head", "本人或户主") == "户主"
    assert codelists.normalise("poverty_cause", "08") == "缺劳力"
    assert codelists.normalise("poverty_cause", "缺劳动力") == "缺劳力"


def test_unknown_label_is_an_error_in_chinese() -> None:
    with pytest.raises(codelists.CodeListError) as info:
        codelists.normalise("household_attribute", "富裕户")
    assert "富裕户" in str(info.value) and "贫困户属性" in str(info.value)


def test_relation_implies_sex() -> None:
    assert codelists.relation_sex("之子") == "男"
    assert codelists.relation_sex("之儿媳") == "女"
    assert codelists.relation_sex("配偶") is None


def test_every_model_codelist_exists() -> None:
    from db.base import Base

    for table in Base.metadata.tables.values():
        for column in table.columns:
            name = column.info.get("codelist")
            if name:
                assert name in codelists.all_lists(), f"{table.name}.{column.name} -> {name}"
