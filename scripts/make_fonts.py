#!/usr/bin/env python3
"""Build the CJK fonts bundled under ``resources/fonts/``.

Source: Debian's ``fonts-noto-cjk`` package (Noto Sans CJK, OTF collections in
``/usr/share/fonts/opentype/noto/``).  From each collection the *SC* member is
taken (found by its name table, not by a hard-coded index) and written as a
standalone OpenType/CFF font with the changes below.  They exist so that a PDF
made by Qt (``QPdfWriter``) extracts as the characters that were typed, and so
that the bundled copy, never a system-installed original, is what Qt picks.

Why: Qt writes the PDF ``/ToUnicode`` map by walking the BMP (U+0000..U+FFFF)
upwards and giving each glyph the *first* code point whose cmap entry points at
it.  A glyph reachable from several code points therefore extracts as the
lowest one (人 -> U+2F08 ⼈ KANGXI RADICAL MAN), and a glyph that is reachable
only through OpenType substitution extracts as nothing at all.

Changes (all reported by the script when it runs):

1. cmap: code points in Kangxi Radicals (U+2F00-2FDF), CJK Radicals
   Supplement (U+2E80-2EFF), CJK Compatibility Ideographs (U+F900-FAFF, except
   the twelve *unified* ideographs in that block) and the Compatibility
   Ideographs Supplement (U+2F800-2FA1F) are removed when their glyph is also
   the glyph of a CJK unified ideograph.  Radicals / compatibility ideographs
   with a glyph of their own stay.
2. cmap made one-to-one: where several remaining code points still share one
   glyph (e.g. 胶 U+80F6 and 㬵 U+3B35, 幐 U+5E50 and 㬺 U+3B3A, U+3000 and
   U+2003, · • ‧ ・), the glyph is copied so that every code point has its own
   glyph.  Single substitutions (vert, fwid, hwid, ...) are copied as well.
3. GSUB: the ``locl`` feature is dropped (in the shared Noto GSUB it switches
   digits in Latin runs to glyphs that are in no cmap, so "123X 2017" lost
   "2017" in the PDF text, and on a zh_TW/zh_HK/ja/ko locale it would switch
   the SC forms to other regional forms).  ``liga`` is dropped (ffi/fi/fl would
   extract as U+FB03/U+FB01/U+FB02), and the ``ccmp`` ligatures that join runs of
   U+2014/U+2015 dashes are removed ("——" would extract as U+2E3A).
4. Subset to exactly the code points that the SC font maps (minus 1.): every
   CJK unified ideograph of the source (URO, Ext A, and the Ext B-I characters
   it has), Latin, Greek, Cyrillic, kana, hangul, digits and punctuation stay.
   Only glyphs unreachable from the SC cmap (other regions' forms) are dropped.
5. Renamed to the family ``Noto Sans CJK SC Mingbaika`` (PostScript name
   ``NotoSansCJKscMingbaika-Regular`` / ``-Bold``).  With the original family
   name Qt resolved the family to a system-installed Noto Sans CJK SC where
   there is one, and the unpatched copy came back.

Usage (needs ``fonttools``; run from the repository root)::

    apt-get install -y fonts-noto-cjk
    python scripts/make_fonts.py            # Regular and Bold
    python scripts/make_fonts.py --no-bold  # Regular only

The output is deterministic: the same source files give the same bytes.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

try:
    from fontTools import subset
    from fontTools.misc.psCharStrings import T2CharString
    from fontTools.ttLib import TTCollection, TTFont
except ImportError:  # pragma: no cover - tooling script
    sys.exit("make_fonts.py needs fontTools: pip install fonttools")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC_DIR = Path("/usr/share/fonts/opentype/noto")
DEFAULT_OUT_DIR = ROOT / "resources" / "fonts"

SOURCE_FAMILY = "Noto Sans CJK SC"
FAMILY = "Noto Sans CJK SC Mingbaika"
PS_FAMILY = "NotoSansCJKscMingbaika"
VENDOR_NOTE = "Mingbaika build: cmap de-duplicated, locl/liga removed"

STYLES = {
    # style -> (source collection, output file name)
    "Regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"),
    "Bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf"),
}

DROPPED_FEATURES = {"locl", "liga"}

RADICAL_RANGES = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF))
COMPAT_RANGES = ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# The twelve CJK *unified* ideographs that live in the compatibility block.
UNIFIED_IN_COMPAT = frozenset(
    [0xFA0E, 0xFA0F, 0xFA11, 0xFA13, 0xFA14, 0xFA1F,
     0xFA21, 0xFA23, 0xFA24, 0xFA27, 0xFA28, 0xFA29]
)
UNIFIED_RANGES = (
    (0x4E00, 0x9FFF),    # URO
    (0x3400, 0x4DBF),    # Ext A
    (0x20000, 0x2A6DF),  # Ext B
    (0x2A700, 0x2EBEF),  # Ext C-F, I
    (0x30000, 0x323AF),  # Ext G-H
)
DASHES = (0x2014, 0x2015)


def in_ranges(cp: int, ranges) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_unified(cp: int) -> bool:
    return in_ranges(cp, UNIFIED_RANGES) or cp in UNIFIED_IN_COMPAT


def is_radical_or_compat(cp: int) -> bool:
    if cp in UNIFIED_IN_COMPAT:
        return False
    return in_ranges(cp, RADICAL_RANGES) or in_ranges(cp, COMPAT_RANGES)


def keep_priority(cp: int) -> tuple:
    """Which code point of a shared glyph keeps the original glyph (lowest wins).

    The others get a copy.  Common ideographs (URO) keep the original so that
    any layout rule on it stays; otherwise the lowest code point does.
    """
    if 0x4E00 <= cp <= 0x9FFF:
        rank = 0
    elif is_unified(cp):
        rank = 1
    else:
        rank = 2
    return (rank, cp)


def find_member(ttc_path: Path, family: str, style: str) -> int:
    coll = TTCollection(str(ttc_path), lazy=True)
    for i, font in enumerate(coll.fonts):
        name = font["name"]
        if name.getDebugName(1) == family and name.getDebugName(2) == style:
            return i
    raise SystemExit(f"{ttc_path}: no member named {family!r} {style!r}")


def iter_subtables(lookup):
    for st in lookup.SubTable:
        if lookup.LookupType == 7:
            yield st.ExtSubTable.LookupType, st.ExtSubTable
        else:
            yield lookup.LookupType, st


def strip_dash_ligatures(font: TTFont) -> int:
    """Remove the ccmp ligatures that join 2-3 U+2014 / U+2015 dashes."""
    cmap = font.getBestCmap()
    dash_glyphs = {cmap[cp] for cp in DASHES if cp in cmap}
    gsub = font["GSUB"].table
    ccmp_lookups = {
        li
        for fr in gsub.FeatureList.FeatureRecord
        if fr.FeatureTag == "ccmp"
        for li in fr.Feature.LookupListIndex
    }
    removed = 0
    for li in sorted(ccmp_lookups):
        for lt, st in iter_subtables(gsub.LookupList.Lookup[li]):
            if lt != 4:
                continue
            for first in list(st.ligatures):
                if first not in dash_glyphs:
                    continue
                ligs = st.ligatures[first]
                kept = [lg for lg in ligs if not set(lg.Component) <= dash_glyphs]
                removed += len(ligs) - len(kept)
                if kept:
                    st.ligatures[first] = kept
                else:
                    del st.ligatures[first]
    return removed


def plan_cmap(cmap: dict[int, str]) -> set[int]:
    """Return the code points to drop: radicals/compat ideographs sharing a
    glyph with a unified ideograph."""
    unified_glyphs = {g for cp, g in cmap.items() if is_unified(cp)}
    return {cp for cp, g in cmap.items() if is_radical_or_compat(cp) and g in unified_glyphs}


def subset_font(font: TTFont, unicodes: list[int]) -> None:
    tags = set()
    for tag in ("GSUB", "GPOS"):
        if tag in font:
            tags |= {fr.FeatureTag for fr in font[tag].table.FeatureList.FeatureRecord}
    options = subset.Options(
        layout_features=sorted(tags - DROPPED_FEATURES),
        name_IDs=["*"],
        name_languages=["*"],
        name_legacy=True,
        notdef_outline=True,
        glyph_names=True,
        legacy_kern=True,
        symbol_cmap=True,
        prune_unicode_ranges=False,
        drop_tables=[],
        hinting=True,
        desubroutinize=False,
    )
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


def unused_cids(charset: list[str]):
    used = {int(g[3:]) for g in charset if g.startswith("cid")}
    cid = 1
    while True:
        if cid not in used:
            yield f"cid{cid:05d}"
        cid += 1
        if cid > 0xFFFF:
            raise SystemExit("out of CIDs")


def make_cmap_injective(font: TTFont) -> list[tuple[int, str, str]]:
    """Give every code point that shares a glyph its own copy of the glyph."""
    cmap = font.getBestCmap()
    by_glyph: dict[str, list[int]] = defaultdict(list)
    for cp, g in cmap.items():
        by_glyph[g].append(cp)

    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    cs = top.CharStrings
    if not cs.charStringsAreIndexed:
        raise SystemExit("unexpected CFF layout (CharStrings not indexed)")
    is_cid = hasattr(top, "ROS")
    charset = list(top.charset)
    names = unused_cids(charset) if is_cid else None
    hmtx = font["hmtx"].metrics
    vmtx = font["vmtx"].metrics if "vmtx" in font else None
    vorg = font["VORG"] if "VORG" in font else None
    gdef = font["GDEF"].table if "GDEF" in font else None
    class_defs = gdef.GlyphClassDef.classDefs if gdef and gdef.GlyphClassDef else None

    new_map: dict[int, str] = {}
    copies: dict[str, list[str]] = defaultdict(list)
    made: list[tuple[int, str, str]] = []
    for glyph, cps in sorted(by_glyph.items(), key=lambda kv: min(kv[1])):
        if len(cps) < 2:
            continue
        for cp in sorted(cps, key=keep_priority)[1:]:
            new = next(names) if is_cid else f"{glyph}.u{cp:04X}"
            charstring, fd_index = cs.getItemAndSelector(glyph)
            if getattr(charstring, "bytecode", None) is None:
                charstring.compile()
            dup = T2CharString(
                bytecode=charstring.bytecode,
                private=charstring.private,
                globalSubrs=charstring.globalSubrs,
            )
            cs.charStringsIndex.items.append(dup)
            cs.charStrings[new] = len(cs.charStringsIndex.items) - 1
            if hasattr(top, "FDSelect"):
                top.FDSelect.gidArray.append(fd_index or 0)
            charset.append(new)
            hmtx[new] = hmtx[glyph]
            if vmtx is not None:
                vmtx[new] = vmtx[glyph]
            if vorg is not None and glyph in vorg.VOriginRecords:
                vorg.VOriginRecords[new] = vorg.VOriginRecords[glyph]
            if class_defs is not None and glyph in class_defs:
                class_defs[new] = class_defs[glyph]
            new_map[cp] = new
            copies[glyph].append(new)
            made.append((cp, glyph, new))

    top.charset = charset
    top.numGlyphs = len(charset)
    font.setGlyphOrder(charset)
    if vorg is not None:
        vorg.numVertOriginYMetrics = len(vorg.VOriginRecords)

    for table in font["cmap"].tables:
        if table.format == 14 or not table.cmap:
            continue
        for cp, new in new_map.items():
            if cp in table.cmap:
                table.cmap[cp] = new

    # Single substitutions (vert, fwid, hwid, pwid, vrt2, ...) follow the copy.
    gsub = font["GSUB"].table
    for lookup in gsub.LookupList.Lookup:
        for lt, st in iter_subtables(lookup):
            if lt == 1:
                for glyph, news in copies.items():
                    if glyph in st.mapping:
                        for new in news:
                            st.mapping[new] = st.mapping[glyph]
    return made


def rename(font: TTFont, style: str) -> None:
    ps_name = f"{PS_FAMILY}-{style}"
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    name = font["name"]
    version = name.getDebugName(5) or ""
    for rec in list(name.names):
        nid = rec.nameID
        value = None
        if nid in (1, 16):
            value = FAMILY
        elif nid == 3:
            value = f"{font['head'].fontRevision:.3f};MBK;{ps_name}"
        elif nid == 4:
            value = full
        elif nid == 5:
            value = f"{version}; {VENDOR_NOTE}"
        elif nid == 6:
            value = ps_name
        if value is not None:
            name.setName(value, nid, rec.platformID, rec.platEncID, rec.langID)
    cff = font["CFF "].cff
    cff.fontNames = [ps_name]
    top = cff.topDictIndex[0]
    if hasattr(top, "FullName"):
        top.FullName = full
    if hasattr(top, "FamilyName"):
        top.FamilyName = FAMILY
    if hasattr(top, "CIDFontName"):
        top.CIDFontName = ps_name


def verify(path: Path, source_cmap: dict[int, str], dropped: set[int]) -> dict:
    font = TTFont(str(path))
    cmap = font.getBestCmap()
    problems = []
    expected = set(source_cmap) - dropped
    missing = sorted(expected - set(cmap))
    if missing:
        problems.append(f"lost code points: {[hex(c) for c in missing[:20]]}")
    extra = sorted(set(cmap) - expected)
    if extra:
        problems.append(f"unexpected code points: {[hex(c) for c in extra[:20]]}")
    by_glyph = defaultdict(list)
    for cp, g in cmap.items():
        by_glyph[g].append(cp)
    shared = {g: cps for g, cps in by_glyph.items() if len(cps) > 1}
    if shared:
        problems.append(f"glyphs still shared: {list(shared.items())[:10]}")
    for table in font["cmap"].tables:
        if table.format in (4, 12) and table.cmap:
            bad = [cp for cp in table.cmap if cp in dropped]
            if bad:
                problems.append(f"cmap {table.format} still maps {[hex(c) for c in bad[:5]]}")
    unified = sum(1 for cp in cmap if is_unified(cp))
    if unified != sum(1 for cp in source_cmap if is_unified(cp)):
        problems.append("unified ideograph count changed")
    for ch in "䶮喆堃珺𠇔户主人口家庭胶0123456789AZaz":
        if ord(ch) not in cmap:
            problems.append(f"missing {ch!r}")
    gsub_tags = {fr.FeatureTag for fr in font["GSUB"].table.FeatureList.FeatureRecord}
    if gsub_tags & DROPPED_FEATURES:
        problems.append(f"features still present: {gsub_tags & DROPPED_FEATURES}")
    if problems:
        raise SystemExit(f"{path}: " + "; ".join(problems))
    return {
        "code points": len(cmap),
        "unified ideographs": unified,
        "glyphs": len(font.getGlyphOrder()),
    }


def build(style: str, src_dir: Path, out_dir: Path) -> Path:
    ttc_name, out_name = STYLES[style]
    ttc_path = src_dir / ttc_name
    if not ttc_path.exists():
        raise SystemExit(f"{ttc_path} not found: apt-get install -y fonts-noto-cjk")
    index = find_member(ttc_path, SOURCE_FAMILY, style)
    print(f"[{style}] {ttc_path} member #{index} ({SOURCE_FAMILY} {style})")
    font = TTFont(str(ttc_path), fontNumber=index, recalcTimestamp=False)

    source_cmap = dict(font.getBestCmap())
    dropped = plan_cmap(source_cmap)
    radicals = sum(1 for cp in dropped if in_ranges(cp, RADICAL_RANGES))
    print(f"[{style}] source: {len(source_cmap)} code points, "
          f"{sum(1 for cp in source_cmap if is_unified(cp))} unified ideographs, "
          f"{len(font.getGlyphOrder())} glyphs")
    print(f"[{style}] dropping {len(dropped)} cmap entries "
          f"({radicals} radicals, {len(dropped) - radicals} compatibility ideographs)")

    n = strip_dash_ligatures(font)
    print(f"[{style}] removed {n} ccmp dash ligatures; dropping features {sorted(DROPPED_FEATURES)}")

    subset_font(font, sorted(set(source_cmap) - dropped))
    print(f"[{style}] subset: {len(font.getGlyphOrder())} glyphs")

    made = make_cmap_injective(font)
    print(f"[{style}] copied {len(made)} shared glyphs: "
          + " ".join(f"U+{cp:04X}" for cp, _, _ in made))

    rename(font, style)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / out_name
    font.save(str(out_path))
    stats = verify(out_path, source_cmap, dropped)
    size = out_path.stat().st_size
    print(f"[{style}] wrote {out_path} ({size / 1e6:.1f} MB): {stats}")
    return out_path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src-dir", type=Path, default=DEFAULT_SRC_DIR,
                        help="folder holding NotoSansCJK-{Regular,Bold}.ttc")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--no-bold", action="store_true", help="build Regular only")
    args = parser.parse_args(argv)
    styles = ["Regular"] if args.no_bold else ["Regular", "Bold"]
    for style in styles:
        build(style, args.src_dir, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
