"""Tests for desktop.core.pinyin (name search keys)."""

from __future__ import annotations

import time

import pytest

from desktop.core import pinyin as py
from desktop.core.pinyin import matches, normalise_query, search_key


def tokens(*texts: str, **kw) -> list[str]:
    return search_key(*texts, **kw).split(" ")


def test_simple_name():
    key = search_key("张三")
    assert tokens("张三") == ["张三", "zhangsan", "zs"]
    assert key == key.lower()


@pytest.mark.parametrize(
    ("name", "spelling", "initials"),
    [
        ("单雄信", "shanxiongxin", "sxx"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解缙", "xiejin", "xj"),
        ("区小平", "ouxiaoping", "oxp"),
        ("仇英", "qiuying", "qy"),
        ("朴志勇", "piaozhiyong", "pzy"),
        ("查良镛", "zhaliangyong", "zly"),
        ("盖聂", "genie", "gn"),
        ("覃雪", "qinxue", "qx"),
        ("尉缭", "yuliao", "yl"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("万俟卨", "moqixie", "mqx"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("缪斌", "miaobin", "mb"),
    ],
)
def test_surname_readings(name, spelling, initials):
    toks = tokens(name)
    assert toks[0] == name
    assert spelling in toks
    assert initials in toks


def test_surname_reading_comes_first():
    assert tokens("单雄信")[1] == "shanxiongxin"
    assert tokens("曾国藩")[1] == "zengguofan"
    assert tokens("解缙")[1] == "xiejin"


def test_every_heteronym_reading_is_kept():
    toks = tokens("单雄信")
    assert "danxiongxin" in toks and "chanxiongxin" in toks
    toks = tokens("曾国藩")
    assert "cengguofan" in toks
    toks = tokens("王长春")  # 长 inside the given name: chang and zhang
    assert "wangchangchun" in toks and "wangzhangchun" in toks


def test_surname_off():
    toks = tokens("单位", surname=False)
    assert toks[1] == "danwei"
    assert "shanwei" in toks  # still there: all readings are kept
    assert tokens("曾经", surname=False)[1] == "cengjing"


def test_surname_only_applies_to_first_character():
    toks = tokens("李单")
    assert toks[1] == "lidan"


def test_spellings_are_capped():
    name = "朝阳长乐重庆行"  # many heteronyms: 2*2*3*2*2*2*... combinations
    toks = tokens(name)
    spellings = [t for t in toks[1:] if len(t) > len(name)]
    assert len(spellings) <= py.MAX_SPELLINGS
    assert len(toks) <= 1 + py.MAX_SPELLINGS + py.MAX_INITIALS
    # the most usual reading of every character survives the cap
    assert "chaoyangzhanglezhongqingxing" in toks or "zhaoyangzhanglezhongqingxing" in toks


def test_multiple_texts_and_dedup():
    key = search_key("张三", "李四", "张三")
    assert key.split(" ") == ["张三", "zhangsan", "zs", "李四", "lisi", "ls"]


def test_key_format():
    key = search_key("单雄信", "尉迟恭", "阿依古丽·买买提")
    assert "  " not in key and not key.startswith(" ") and not key.endswith(" ")
    assert key == key.lower()
    assert all(tok for tok in key.split(" "))


@pytest.mark.parametrize(
    "name", ["䶮", "刘䶮", "张喆", "王堃", "李珺", "𠇔", "陈𠇔明", "〇", "·", "ｚｈａｎｇ", "😀"]
)
def test_rare_characters_do_not_crash(name):
    key = search_key(name)
    assert isinstance(key, str)


def test_rare_character_readings():
    assert "liuyan" in tokens("刘䶮")
    assert "zhangzhe" in tokens("张喆")
    assert "wangkun" in tokens("王堃")
    assert "lijun" in tokens("李珺")
    # no reading known: the character stands for itself
    toks = tokens("陈𠇔明")
    assert toks[0] == "陈𠇔明"
    assert "chen𠇔ming" in toks
    assert "c𠇔m" in toks


def test_minority_name_with_middle_dot():
    toks = tokens("阿依古丽·买买提")
    assert "ayigulimaimaiti" in toks
    assert "ayglmmt" in toks


def test_whitespace_and_empty():
    assert search_key() == ""
    assert search_key("") == ""
    assert search_key("  ") == ""
    assert tokens("张 三") == ["张三", "zhangsan", "zs"]
    assert tokens("张\u3000三") == ["张三", "zhangsan", "zs"]


def test_latin_letters():
    toks = tokens("Mary王")
    assert toks[0] == "mary王"
    assert "marywang" in toks
    assert "mw" in toks


def test_u_umlaut():
    toks = tokens("吕女")
    assert "lvnv" in toks and "lunu" in toks and "ln" in toks


def test_normalise_query():
    assert normalise_query(" Zhang San ") == "zhangsan"
    assert normalise_query("ＺＳ") == "zs"
    assert normalise_query("lü") == "lv"
    assert normalise_query("xi'an") == "xian"
    assert normalise_query("") == ""


@pytest.mark.parametrize(
    "query", ["张三", "张", "三", "zhangsan", "zhang", "san", "Zhang San", "zs", "ZS", "z"]
)
def test_matches(query):
    assert matches(search_key("张三"), query)


@pytest.mark.parametrize("query", ["", " ", "lisi", "zhangsi", "sz", "ls"])
def test_no_match(query):
    assert not matches(search_key("张三"), query)


def test_no_match_across_variants():
    # "zs" + " " + "..." must not allow queries that span two variants
    key = search_key("张三")
    assert not matches(key, "zhangsanzs")
    assert not matches(key, "sanzs")


def test_matches_lv():
    key = search_key("吕布")
    assert matches(key, "lvbu") and matches(key, "lübu") and matches(key, "lubu") and matches(key, "lb")


def test_char_readings_cached():
    py.char_readings.cache_clear()
    search_key("张三张三")
    info = py.char_readings.cache_info()
    assert info.misses == 2 and info.hits >= 2


def test_speed_smoke():
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗单曾解区"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红长乐重行"
    names = [a + b + c for a in surnames for b in given for c in given[:20]]
    start = time.perf_counter()
    for name in names:
        search_key(name)
    elapsed = time.perf_counter() - start
    # ~16k names; about 0.1 s on a 2-core VM. Generous bound to avoid flakiness.
    assert elapsed < 5.0, f"{len(names)} keys took {elapsed:.2f}s"
