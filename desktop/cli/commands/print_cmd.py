"""``print``: household cards (明白卡) to one PDF, one household per page.

Qt is imported only inside :func:`run` (the CLI must start without it); without
a display the offscreen platform is used.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.cli.common import add_command, end_status_line, opened_db, tty_progress, user_errors
from desktop.cli.errors import UserError

if TYPE_CHECKING:
    from desktop.core.card import Selection


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "print", run,
        help="打印明白卡到PDF（每户一页）",
        description="把明白卡输出为一个PDF文件，每户一页，按村代码、村民小组、户编号排序。"
        "身份证号默认只显示前6位和后4位。每张打印的卡都记入打印记录。",
    )
    p.add_argument("output", metavar="OUT.pdf", help="输出的PDF文件")
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--household", action="append", metavar="UUID", help="某一户（可重复）")
    scope.add_argument("--village", metavar="CODE", help="某村（12位村代码）的全部户")
    scope.add_argument("--group", metavar="村代码/组名", help="某村民小组的全部户，如 411726100200/三组（或小组UUID）")
    scope.add_argument("--township", metavar="CODE", help="某乡镇（12位代码）的全部户")
    scope.add_argument("--all", action="store_true", help="数据库中的全部户")
    p.add_argument("--full-id", action="store_true", help="打印完整身份证号（默认隐去中间8位）")
    p.add_argument("--changed-since-last-print", action="store_true", help="只打印上次打印后有修改（或从未打印）的户")
    p.add_argument("--year", type=int, metavar="YYYY", help="年度（默认：工作年度设置，或每户最近有数据的年度）")
    p.add_argument("--operator", metavar="NAME", help="操作员（记入打印记录）")


def _selection(args: argparse.Namespace) -> Selection:
    from desktop.core.card import Selection

    if args.household:
        return Selection("households", list(args.household))
    if args.village:
        return Selection("village", args.village)
    if args.group:
        return Selection("group", args.group)
    if args.township:
        return Selection("township", args.township)
    return Selection("all")


def _ensure_gui_application():  # noqa: ANN202 - returns a Qt object
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(["mingbaika-cli"])


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix.lower() != ".pdf":
        raise UserError(f"输出文件“{out}”应以 .pdf 结尾")
    if not out.parent.resolve().is_dir():
        raise UserError(f"输出文件夹“{out.parent}”不存在")
    if args.year is not None and not 1990 <= args.year <= 2100:
        raise UserError(f"年度“{args.year}”无效")
    from desktop.core.card import CardError, resolve

    with opened_db(args) as db:
        with db.session() as session, user_errors(CardError):
            uuids = resolve(session, _selection(args), changed_only=args.changed_since_last_print)
        if not uuids:
            if args.changed_since_last_print:
                print("没有上次打印后有修改的户，未生成文件。")
                return 0
            raise UserError("所选范围内没有户，未生成文件。")
        app = _ensure_gui_application()  # noqa: F841 - must stay alive while painting
        from desktop.ui.printing.render import RenderError, export_pdf

        progress = tty_progress(lambda done, total, _text: f"已排版 {done}/{total} 户" if total else None)
        with user_errors(RenderError, CardError):
            result = export_pdf(db, uuids, out, year=args.year, full_id=args.full_id,
                                operator=args.operator or None, progress=progress)
        end_status_line()
    extra = f"（其中 {len(result.multi_page)} 户超过一页）" if result.multi_page else ""
    ids = "，完整身份证号" if args.full_id else ""
    print(f"已输出 {result.households} 户、{result.pages} 页到 {out}{extra}{ids}")
    return 0
