"""Pinyin search keys for names (computed when a record is saved, not at query time).

``search_key("张三")`` → ``"张三 zhangsan zs"``. The key holds, for every text given:

* the text itself (lowercased, whitespace removed);
* its full pinyin without tones or spaces, one spelling per combination of readings of
  heteronym characters (多音字), at most :data:`MAX_SPELLINGS` per text;
* its initials (one letter per character), also capped.

The first character of each text is treated as a surname: its surname readings come
first (单 shan, 曾 zeng, 解 xie, 区 ou …), and compound surnames with special readings
(尉迟 yuchi, 万俟 moqi …) are recognised. pypinyin 0.55 has no surname mode, so the
small table below supplies them; all other readings come from pypinyin.

ü is written "v" as pypinyin and Chinese input methods do (吕 → "lv"); the "u" spelling
("lu") is added as an extra variant. Search with :func:`normalise_query` and a
substring test (SQL ``instr(search_key, :q) > 0``): variants are separated by single
spaces and a normalised query contains none, so a match never spans two variants.

Readings are cached per character, so keys for 500,000 three-character names take a
few seconds.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import unicodedata

__all__ = ["MAX_INITIALS", "MAX_SPELLINGS", "char_readings", "matches", "name_readings", "normalise_query", "search_key"]

MAX_SPELLINGS = 16  # full pinyin spellings kept per text
MAX_INITIALS = 16  # initials variants kept per text

# Readings a character takes as a surname, most usual first. Heteronym readings from
# pypinyin are kept as well, after these.
_SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "区": ("ou",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge", "gai"),
    "覃": ("qin", "tan"),
    "尉": ("wei", "yu"),
    "缪": ("miao",),
    "召": ("shao",),
    "乐": ("yue", "le"),
    "朝": ("chao",),
    "秘": ("bi",),
    "种": ("chong",),
    "重": ("chong",),
    "员": ("yun",),
    "华": ("hua",),
    "繁": ("po",),
    "句": ("gou",),
    "折": ("she",),
    "隗": ("wei",),
    "柏": ("bai",),
    "藏": ("zang",),
    "翟": ("zhai",),
    "祭": ("zhai",),
    "宿": ("su",),
    "牟": ("mou",),
    "殷": ("yin",),
    "粘": ("nian",),
    "冼": ("xian",),
    "相": ("xiang",),
    "长": ("chang",),
    "沈": ("shen",),
    "石": ("shi",),
    "曲": ("qu",),
    "叶": ("ye",),
    "燕": ("yan",),
    "纪": ("ji",),
    "贾": ("jia",),
    "薄": ("bo",),
    "都": ("du",),
    "阚": ("kan",),
    "费": ("fei",),
    "能": ("nai",),
    "那": ("na",),
    "万": ("wan",),
}

# Compound surnames whose readings differ from the characters' usual ones.
_COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"),
    "令狐": ("ling", "hu"),
    "乐正": ("yue", "zheng"),
    "中行": ("zhong", "hang"),
}


@functools.cache  # bounded by the number of distinct characters
def char_readings(ch: str) -> tuple[str, ...]:
    """All toneless readings of one character, most common first.

    A character pypinyin does not know (rare CJK extension characters, letters of other
    scripts) reads as itself; punctuation and whitespace have no reading (empty tuple).
    """
    if ch.isascii():
        return (ch.lower(),) if ch.isalnum() else ()
    # Imported on first use: pypinyin's dictionaries take ~0.2 s to load, which every command-line
    # command would pay at start-up (desktop.core installs the search-key listener).
    from pypinyin import Style, pinyin

    result = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings = [r for r in (result[0] if result else []) if r and r.isascii() and r.isalpha()]
    if not readings:
        return (ch.lower(),) if unicodedata.category(ch)[0] in "LN" else ()
    readings += [r.replace("v", "u") for r in readings if "v" in r]
    return tuple(dict.fromkeys(readings))


def _prefer(first: tuple[str, ...], rest: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(first + rest))


def _best_combinations(options: list[tuple[str, ...]], cap: int) -> list[str]:
    """Join one option per position; at most ``cap`` results, most usual first.

    When there are more than ``cap`` combinations, they are taken in order of the total
    rank of the chosen options (best-first), so the primary readings always survive.
    """
    if not options:
        return []
    if math.prod(len(o) for o in options) <= cap:
        return ["".join(c) for c in itertools.product(*options)]
    start = (0,) * len(options)
    heap: list[tuple[int, tuple[int, ...]]] = [(0, start)]
    seen = {start}
    out: list[str] = []
    while heap and len(out) < cap:
        rank, idx = heapq.heappop(heap)
        out.append("".join(o[i] for o, i in zip(options, idx, strict=True)))
        for k, i in enumerate(idx):
            if i + 1 < len(options[k]):
                nxt = idx[:k] + (i + 1,) + idx[k + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (rank + 1, nxt))
    return out


def _units(text: str, surname: bool, readings=None) -> list[tuple[str, ...]]:  # noqa: ANN001
    """Reading options per unit of ``text`` (already NFKC-normalised, no spaces): runs of ASCII
    letters/digits are one unit; with ``surname`` the first character's surname readings (or a
    compound surname's) come first. ``readings`` gives one character's options (default
    :func:`char_readings`)."""
    readings = readings or char_readings
    units: list[tuple[str, ...]] = []
    run: list[str] = []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            run.append(ch.lower())
            continue
        if run:
            units.append(("".join(run),))
            run = []
        options = readings(ch)
        if options:
            units.append(options)
    if run:
        units.append(("".join(run),))
    if surname and units and not (text[0].isascii() and text[0].isalnum()):
        compound = _COMPOUND_SURNAMES.get(text[:2])
        if compound and len(units) >= 2 and char_readings(text[1]):
            units[0] = _prefer((compound[0],), units[0])
            units[1] = _prefer((compound[1],), units[1])
        elif text[0] in _SURNAME_READINGS and char_readings(text[0]):
            units[0] = _prefer(_SURNAME_READINGS[text[0]], units[0])
    return units


def _text_variants(text: str, surname: bool) -> tuple[str, ...]:
    text = "".join(unicodedata.normalize("NFKC", text).split())
    if not text:
        return ()
    units = _units(text, surname)
    spellings = _best_combinations(units, MAX_SPELLINGS)
    initial_options = [tuple(dict.fromkeys(r[0] for r in unit)) for unit in units]
    initials = _best_combinations(initial_options, MAX_INITIALS)
    return tuple(dict.fromkeys([text.lower(), *spellings, *initials]))


def search_key(*texts: str, surname: bool = True) -> str:
    """Space-separated lowercase search variants for ``texts`` (see module docstring).

    ``surname=False`` disables the surname readings of each text's first character
    (use it for texts that are not personal names). Never raises for odd characters.
    """
    tokens: list[str] = []
    for text in texts:
        if text:
            tokens.extend(_text_variants(str(text), surname))
    return " ".join(dict.fromkeys(tokens))


def normalise_query(query: str) -> str:
    """Normalise user input for a substring search in a :func:`search_key` value.

    NFKC (full-width → ASCII), lowercase, whitespace and pinyin apostrophes removed,
    ü → v.
    """
    q = unicodedata.normalize("NFKC", query or "").lower()
    return "".join(q.split()).replace("'", "").replace("ü", "v")


def matches(key: str, query: str) -> bool:
    """True if ``query`` (raw user input) matches the stored search ``key``."""
    q = normalise_query(query)
    return bool(q) and q in key



MIN_PHRASES = 2  # a secondary reading is plausible in a name when this many dictionary words use it


@functools.cache
def _phrase_readings() -> dict[str, dict[str, int]]:
    """Per character, how many words of pypinyin's phrase dictionary use each (tone-marked) reading."""
    from pypinyin.phrases_dict import phrases_dict

    counts: dict[str, dict[str, int]] = {}
    for phrase, readings in phrases_dict.items():
        for ch, options in zip(phrase, readings, strict=False):
            if options:
                per = counts.setdefault(ch, {})
                per[options[0]] = per.get(options[0], 0) + 1
    return counts


@functools.cache
def _plausible_readings(ch: str) -> tuple[str, ...]:
    readings = char_readings(ch)
    if len(readings) < 2:
        return readings
    from pypinyin.contrib.tone_convert import to_normal

    words: dict[str, int] = {}
    for marked, n in _phrase_readings().get(ch, {}).items():
        plain = to_normal(marked)
        words[plain] = words.get(plain, 0) + n
    u_spellings = {r.replace("v", "u") for r in readings if "v" in r}  # added by char_readings for search
    return tuple(r for i, r in enumerate(readings)
                 if i == 0 or (r not in u_spellings and words.get(r, 0) >= MIN_PHRASES))


def name_readings(name: str, surname: bool = True) -> tuple[tuple[str, ...], ...]:
    """The plausible toneless readings of each unit of a personal name, most usual first.

    One tuple per character (a run of ASCII letters/digits is one unit; punctuation and
    whitespace have none): the character's usual reading, its other readings (多音字) that at
    least :data:`MIN_PHRASES` words of pypinyin's phrase dictionary use (长 chang/zhang, 乐
    le/yue, 重 zhong/chong, but not 王 yu or 方 wang, which only old texts know), and for the
    first character its surname readings first, as in :func:`search_key` (单 shan, 覃 qin/tan,
    compound surnames such as 尉迟 yu-chi). The "u" spelling of ü is not added (吕 is ``lv``,
    not 卢 ``lu``). For comparing names by sound: two names sound alike when their readings
    meet at every position.
    """
    text = "".join(unicodedata.normalize("NFKC", name or "").split())
    units = _units(text, surname, _plausible_readings) if text else []
    return tuple(units)
