"""One household card as a QTextDocument (HTML with bordered tables).

The layout follows the 明白卡 as printed by deployed systems (domain.md §1.8):
bordered tables with grey header rows and bold label cells; 识别标准, 贫困户属性
and the causes as rows of check boxes over the whole option list (□ open,
√ ticked); the members table; the helpers; this year's plan and measures with
a column for the head's signature; income against the year's line and the
两不愁三保障 items in a compact block; signature lines at the foot.

All text comes from :class:`desktop.core.card.HouseholdCard` (already
normalised for printing); this module only escapes and arranges it. Labels are
fixed Chinese form text, not translatable UI strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from html import escape

from PySide6.QtCore import QSizeF
from PySide6.QtGui import QPaintDevice, QTextDocument

from desktop.core.card import CardMeasure, CheckBox, HouseholdCard, money
from desktop.ui.printing.fonts import card_font
from desktop.ui.printing.threads import require_gui_thread

TITLE = "精准扶贫明白卡"
BASE_PT = 9.0
MIN_MEASURE_ROWS = 3  # blank rows invite hand entries on a card with few measures

STYLE = f"""
body {{ font-size: {BASE_PT}pt; }}
td {{ vertical-align: middle; padding: 1px 3px; }}
th {{ vertical-align: middle; padding: 1px 2px; }}
th {{ background-color: #d9d9d9; font-weight: bold; }}
td.l {{ font-weight: bold; background-color: #efefef; }}
td.c {{ text-align: center; }}
td.r {{ text-align: right; }}
td.sec {{ font-weight: bold; background-color: #d9d9d9; }}
table.members {{ font-size: {BASE_PT - 1}pt; }}
table.members td {{ padding: 1px 2px; }}
table.measures {{ font-size: {BASE_PT - 0.5}pt; }}
.title {{ font-size: 17pt; font-weight: bold; }}
.muted {{ color: #444444; }}
.tick {{ font-weight: bold; }}
"""

def e(value: object) -> str:
    return escape("" if value is None else str(value))


def _yesno(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _boxes(boxes: tuple[CheckBox, ...]) -> str:
    parts = []
    for b in boxes:
        if b.checked:
            parts.append(f'<span class="tick">√{e(b.label)}</span>')
        else:
            parts.append(f"□{e(b.label)}")
    return "&nbsp; ".join(parts)


def _choice(value: bool | None) -> str:
    """□是 □否 with the recorded answer ticked."""
    yes = '<span class="tick">√是</span>' if value is True else "□是"
    no = '<span class="tick">√否</span>' if value is False else "□否"
    return f"{yes} {no}"


def _date(value: date | None) -> str:
    return "" if value is None else f"{value.year}.{value.month:02d}.{value.day:02d}"


def _year(value: int | None) -> str:
    return "" if value is None else f"{value}年"


def _header(card: HouseholdCard) -> str:
    place = "".join(p for p in (card.province, card.prefecture, card.county, card.township, card.village,
                                card.group) if p)
    return (
        f'<p align="center" style="margin-top:0; margin-bottom:2pt;"><span class="title">{TITLE}</span>'
        f"&nbsp;&nbsp;（{card.year}年度）</p>"
        '<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom:2pt;"><tr>'
        f'<td width="68%">{e(place)}</td>'
        f'<td width="32%" align="right">户编号：<b>{e(card.household_number)}</b></td>'
        "</tr></table>"
    )


def _basic(card: HouseholdCard) -> str:
    rows = [
        '<tr><td class="sec" colspan="6">一、家庭基本情况</td></tr>',
        "<tr>"
        f'<td class="l" width="12%">户主姓名</td><td width="21%"><b>{e(card.head_name)}</b></td>'
        f'<td class="l" width="10%">性别</td><td width="19%">{e(card.head_sex)}</td>'
        f'<td class="l" width="10%">民族</td><td width="28%">{e(card.head_ethnicity)}</td>'
        "</tr>",
        "<tr>"
        f'<td class="l">身份证号码</td><td>{e(card.head_id)}</td>'
        f'<td class="l">家庭人口</td><td>{card.size} 人</td>'
        f'<td class="l">联系电话</td><td>{e(card.phone)}</td>'
        "</tr>",
        "<tr>"
        f'<td class="l">家庭住址</td><td colspan="3">{e(card.address)}</td>'
        f'<td class="l">开户银行</td><td>{e(card.bank_name)}</td>'
        "</tr>",
        f'<tr><td class="l">识别标准</td><td colspan="2">{_boxes(card.standard_boxes)}</td>'
        f'<td class="l">贫困户属性</td><td colspan="2">{_boxes(card.attribute_boxes)}</td></tr>',
        f'<tr><td class="l">主要致贫原因<br/>（单选）</td><td colspan="5">{_boxes(card.main_cause_boxes)}</td></tr>',
        f'<tr><td class="l">其他致贫原因<br/>（多选）</td><td colspan="5">{_boxes(card.other_cause_boxes)}</td></tr>',
        "<tr>"
        f'<td class="l">识别年度</td><td>{_year(card.identification_year)}</td>'
        f'<td class="l">计划脱贫</td><td>{_year(card.planned_exit_year)}</td>'
        f'<td class="l">脱贫状态</td><td>{e(card.exit_status)}'
        f'{"，" + str(card.exit_year) + "年脱贫" if card.exit_year else ""}</td>'
        "</tr>",
    ]
    if card.land or card.housing:
        rows.append(
            f'<tr><td class="l">生产生活条件</td><td colspan="5">'
            f'{e("；".join(x for x in (card.land, card.housing) if x))}</td></tr>'
        )
    return _grid(rows)


# (header, width %) for 8 pt text on a 190 mm line: an ideograph is 2.8 mm, a digit 1.5 mm;
# each cell loses about 1.3 mm to padding and rules. A full ID needs 27.9 mm, a masked one 26.3 mm.
MEMBER_COLUMNS = (
    ("姓名", 7.3), ("关系", 5.4), ("性别", 4.2), ("年龄", 4.2), ("身份证号码", 16.5), ("文化程度", 10.6),
    ("在校生状况", 8.4), ("健康状况", 8.5), ("劳动技能", 8.9), ("务工情况", 13.4),
    ("医保", 4.2), ("养老", 4.2), ("低保", 4.2),
)


def _members(card: HouseholdCard) -> Section:
    n = len(MEMBER_COLUMNS)
    columns = "<tr>" + "".join(f'<th width="{w}%">{t}</th>' for t, w in MEMBER_COLUMNS) + "</tr>"
    title = f"二、家庭成员（{card.size}人）"
    rows = []
    for m in card.members:
        rows.append(
            "<tr>"
            f'<td class="c">{e(m.name)}</td><td class="c">{e(m.relation)}</td>'
            f'<td class="c">{e(m.sex)}</td><td class="c">{"" if m.age is None else m.age}</td>'
            f'<td class="c">{e(m.id_number)}</td><td class="c">{e(m.education)}</td>'
            f'<td class="c">{e(m.student_status)}</td><td class="c">{e(m.health)}</td>'
            f'<td class="c">{e(m.labour_skill)}</td><td class="c">{e(m.work)}</td>'
            f'<td class="c">{_yesno(m.rural_medical)}</td><td class="c">{_yesno(m.rural_pension)}</td>'
            f'<td class="c">{_yesno(m.dibao)}</td>'
            "</tr>"
        )
    if not card.members:
        rows.append(f'<tr><td colspan="{n}" class="c muted">（无在册成员）</td></tr>')
    return _table_section("members", title, n, columns, rows)


def _helpers(card: HouseholdCard) -> str:
    rows = [
        '<thead><tr><td class="sec" colspan="4">三、帮扶责任人</td></tr>'
        '<tr><th width="16%">姓名</th><th width="42%">单位名称</th><th width="20%">职务</th>'
        '<th width="22%">联系电话</th></tr></thead>'
    ]
    for h in card.helpers:
        rows.append(
            f'<tr><td class="c"><b>{e(h.name)}</b></td><td>{e(h.unit)}</td><td class="c">{e(h.post)}</td>'
            f'<td class="c">{e(h.phone)}</td></tr>'
        )
    if not card.helpers:
        rows.append('<tr><td class="sign"></td><td></td><td></td><td></td></tr>')
    return _grid(rows)


def _plan(card: HouseholdCard) -> str:
    target = f"（目标脱贫年度：{card.target_exit_year}年）" if card.target_exit_year else ""
    text = e(card.plan_text).replace("\n", "<br/>") if card.plan_text else "&nbsp;"
    return _grid([
        f'<tr><td class="sec">四、{card.year}年度帮扶计划{target}</td></tr>',
        f'<tr><td>{text}</td></tr>',
    ])


def _measure_content(m: CardMeasure) -> str:
    text = m.content
    if m.subcategory and m.subcategory not in text:
        text = f"{m.subcategory}：{text}" if text else m.subcategory
    if m.beneficiary:
        text += f"（受益人：{m.beneficiary}）"
    return e(text)


def _measure_row(i: int, m: CardMeasure) -> str:
    return (
        f'<tr><td class="c">{i}</td><td class="c">{e(m.category)}</td><td>{e(m.helping_unit)}</td>'
        f'<td>{_measure_content(m)}</td><td class="c">{e(m.fund_source)}</td>'
        f'<td class="r">{money(m.amount)}</td><td class="c">{_date(m.implemented_on)}</td>'
        f'<td class="c">{e(m.status)}</td><td></td></tr>'
    )


MEASURE_COLUMNS = (
    ("序号", 4), ("项目类别", 9), ("帮扶单位", 19), ("帮扶内容", 27), ("资金来源", 8), ("金额(元)", 9),
    ("帮扶时间", 9), ("状态", 6), ("户主签名", 9),
)


def _measures(card: HouseholdCard) -> Section:
    n = len(MEASURE_COLUMNS)
    columns = "<tr>" + "".join(f'<th width="{w}%">{t}</th>' for t, w in MEASURE_COLUMNS) + "</tr>"
    rows = [_measure_row(i, m) for i, m in enumerate(card.measures, 1)]
    for i in range(len(card.measures), MIN_MEASURE_ROWS):
        rows.append(f'<tr><td class="c">{i + 1}</td>' + "<td>&nbsp;</td>" * (n - 1) + "</tr>")
    tail = []
    if card.measures:
        tail.append(f'<tr><td class="l" colspan="5" align="right">合计</td>'
                    f'<td class="r"><b>{money(card.measures_total)}</b></td><td colspan="3"></td></tr>')
    return _table_section("measures", f"五、{card.year}年度帮扶措施", n, columns, rows, tail)


def _income(card: HouseholdCard) -> str:
    inc = card.income
    rows = [f'<tr><td class="sec" colspan="6">六、{card.year}年度收入情况（元）与“两不愁三保障”</td></tr>']
    if inc is None:
        rows.append('<tr><td class="l" width="16%">收入</td><td colspan="5" class="muted">'
                    f"{card.year}年度收入尚未核算</td></tr>")
    else:
        if inc.above_line is None:
            verdict = ""
        elif inc.above_line:
            verdict = "，<b>高于</b>标准"
        else:
            verdict = "，<b>低于</b>标准"
        rows += [
            "<tr>"
            f'<td class="l" width="16%">工资性收入</td><td class="r" width="17%">{money(inc.wage)}</td>'
            f'<td class="l" width="16%">生产经营性收入</td><td class="r" width="17%">{money(inc.production)}</td>'
            f'<td class="l" width="17%">财产性收入</td><td class="r" width="17%">{money(inc.property_income)}</td>'
            "</tr>",
            "<tr>"
            f'<td class="l">转移性收入</td><td class="r">{money(inc.transfer)}</td>'
            f'<td class="l">生产经营性支出</td><td class="r">{money(inc.production_expense)}</td>'
            f'<td class="l">年纯收入</td><td class="r">{money(inc.net)}</td>'
            "</tr>",
            "<tr>"
            f'<td class="l">核算人口</td><td class="r">{inc.population} 人</td>'
            f'<td class="l">年人均纯收入</td><td class="r"><b>{money(inc.per_capita)}</b></td>'
            f'<td class="l">脱贫标准</td><td class="r">{money(inc.line) or "未设置"}{verdict}</td>'
            "</tr>",
        ]
    a = card.assessment
    when = f"（{a.year}年评估）" if a.year else "（尚未评估）"
    widths = (16, 17, 16, 17, 17, 17)
    cells = [f'<td class="l" width="{widths[2 * (i % 3)]}%">{e(label)}</td>'
             f'<td class="c" width="{widths[2 * (i % 3) + 1]}%">{_choice(ok)}</td>' for i, (label, ok) in enumerate(a.items)]
    rows.append(f'<tr><td class="sec" colspan="6">两不愁三保障{when}</td></tr>')
    for start in range(0, len(cells), 3):
        rows.append("<tr>" + "".join(cells[start:start + 3]) + "</tr>")
    return _grid(rows)


def _signatures() -> str:
    return (
        '<table width="100%" cellspacing="0" cellpadding="2" style="margin-top:14pt;"><tr>'
        '<td width="36%">户主签字：____________________</td>'
        '<td width="36%">帮扶责任人签字：____________________</td>'
        '<td width="28%" align="right">日期：______年____月____日</td>'
        "</tr></table>"
    )


def _table_open(extra_class: str = "") -> str:
    cls = f"grid {extra_class}".strip()
    # border="1": one device-independent pixel (0.26 mm); Qt draws nothing for less.
    return (f'<table class="{cls}" width="100%" cellspacing="0" cellpadding="1" border="1" '
            f'style="border-collapse: collapse; border-style: solid; border-color: #404040; '
            f'margin-bottom: 4pt;">')


def _grid(rows: list[str], extra_class: str = "") -> str:
    return _table_open(extra_class) + "".join(rows) + "</table>"


@dataclass(frozen=True)
class Section:
    """One block of the card. A table section (``rows`` set) may be split between
    pages: each part gets the title row and the column headers again."""

    html: str
    title: str = ""
    span: int = 0
    columns: str = ""  # the column-header row
    rows: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()  # rows that close the table (e.g. the total), kept with the last rows
    extra_class: str = ""

    @property
    def splittable(self) -> bool:
        return len(self.rows) > 1

    def part(self, rows: Sequence[str], *, continued: bool, last: bool) -> str:
        title = f"{self.title}（续）" if continued else self.title
        head = f'<thead><tr><td class="sec" colspan="{self.span}">{title}</td></tr>{self.columns}</thead>'
        return _table_open(self.extra_class) + head + "".join(rows) + ("".join(self.tail) if last else "") + "</table>"


def _table_section(extra_class: str, title: str, span: int, columns: str, rows: list[str],
                   tail: list[str] | None = None) -> Section:
    section = Section(html="", title=title, span=span, columns=columns, rows=tuple(rows), tail=tuple(tail or ()),
                      extra_class=extra_class)
    return replace(section, html=section.part(rows, continued=False, last=True))


def card_sections(card: HouseholdCard) -> list[Section]:
    """The card's blocks in print order."""
    return [
        Section(_header(card) + _basic(card)),
        _members(card),
        Section(_helpers(card)),
        Section(_plan(card)),
        _measures(card),
        Section(_income(card) + _signatures()),
    ]


def _wrap(body: str) -> str:
    return f"<html><body>{body}</body></html>"


def card_html(card: HouseholdCard) -> str:
    """The whole card as HTML for QTextDocument."""
    return _wrap("".join(s.html for s in card_sections(card)))


def _document(html: str, device: QPaintDevice | None, page_size: QSizeF | None) -> QTextDocument:
    require_gui_thread()  # a worker here could deadlock with the GUI thread (printing/threads.py)
    doc = QTextDocument()
    doc.setUndoRedoEnabled(False)
    if device is not None:
        doc.documentLayout().setPaintDevice(device)
    doc.setDefaultFont(card_font(BASE_PT))
    doc.setDefaultStyleSheet(STYLE)
    doc.setDocumentMargin(0)
    if page_size is not None:
        doc.setPageSize(page_size)
    doc.setHtml(html)
    return doc


def paginate(card: HouseholdCard, device: QPaintDevice | None, page_size: QSizeF) -> list[QTextDocument]:
    """The card as one document per page.

    Nearly every card fits one page: then this is the whole card laid out once.
    Otherwise the blocks are stacked page by page; the members and measures
    tables are split between rows (the next page repeats their title, marked
    （续）, and column headers) so no row is cut and every table is closed at the
    foot of the page. A block taller than a whole page is left to Qt's own
    pagination.
    """
    whole = _document(card_html(card), device, page_size)
    if whole.pageCount() <= 1:
        return [whole]
    limit = page_size.height()

    def height(chunks: list[str]) -> float:
        doc = _document(_wrap("".join(chunks)), device, None)
        doc.setTextWidth(page_size.width())
        return doc.size().height()

    pages: list[list[str]] = []
    current: list[str] = []
    queue = [(s, 0, False) for s in card_sections(card)]  # (section, first row, continued)
    while queue:
        section, start, continued = queue.pop(0)
        rows = section.rows[start:]
        whole_part = section.part(rows, continued=continued, last=True) if section.rows else section.html
        if height(current + [whole_part]) <= limit:
            current.append(whole_part)
            continue
        if len(rows) > 1:
            # the most rows that fit here, leaving at least one for the tail
            lo, hi = 0, len(rows) - 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                part = section.part(rows[:mid], continued=continued, last=False)
                if height(current + [part]) <= limit:
                    lo = mid
                else:
                    hi = mid - 1
            if lo >= 1:
                current.append(section.part(rows[:lo], continued=continued, last=False))
                pages.append(current)
                current = []
                queue.insert(0, (section, start + lo, True))
                continue
        if current:
            pages.append(current)
            current = []
            queue.insert(0, (section, start, continued))
            continue
        current.append(whole_part)  # taller than a page on its own
    if current:
        pages.append(current)
    return [_document(_wrap("".join(chunks)), device, page_size) for chunks in pages]


def build_document(card: HouseholdCard, device: QPaintDevice | None = None,
                   page_size: QSizeF | None = None) -> QTextDocument:
    """The whole card as one QTextDocument, laid out for ``device`` (QPdfWriter or QPrinter).

    Without ``setPaintDevice`` the PDF text comes out about 3x too small, so
    pass the device that will be painted on. ``page_size`` (device pixels)
    paginates the document (see :func:`paginate` for the page-by-page layout).
    """
    return _document(card_html(card), device, page_size)
