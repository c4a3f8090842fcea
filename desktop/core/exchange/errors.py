"""Errors and problems of the exchange workbook (messages in Chinese)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ERROR, WARNING = "错误", "警告"


@dataclass(frozen=True)
class Problem:
    """One problem found in a workbook: where it is and what is wrong."""

    sheet: str
    row: int | None  # 1-based row number as Excel shows it
    column: str | None  # header text
    value: Any
    message: str
    level: str = ERROR
    code: str = ""  # short English code for tests and filters
    column_letter: str | None = None

    def location(self) -> str:
        parts = [f"工作表“{self.sheet}”"]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            where = f"“{self.column}”列"
            if self.column_letter:
                where += f"（{self.column_letter}列）"
            parts.append(where)
        return "".join(parts)

    def text(self) -> str:
        value = ""
        if self.value not in (None, ""):
            value = f"，值“{self.value}”"
        return f"[{self.level}] {self.location()}{value}：{self.message}"


class ExchangeError(Exception):
    """The file cannot be used at all (not a workbook, wrong format, refused); nothing changed."""

    def __init__(self, message: str, *, code: str = "", path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path


class EditedFileError(ExchangeError):
    """The data digest does not match the manifest: the file was edited (or damaged) after export.

    The import may still go ahead when the user confirms (``accept_edited=True``)."""


class TownshipMismatchError(ExchangeError):
    """The workbook belongs to another township than this database."""


class ImportRejected(ExchangeError):
    """The workbook has errors; nothing was imported. ``problems`` lists them all."""

    def __init__(self, message: str, problems: list[Problem], *, path: str | None = None) -> None:
        super().__init__(message, code="rejected", path=path)
        self.problems = problems


class ExportBlocked(ExchangeError):
    """Data-quality errors block the export unless overridden with a recorded reason."""

    def __init__(self, message: str, problems: list[Any]) -> None:
        super().__init__(message, code="checks")
        self.problems = problems


ERROR_HEADERS = ("级别", "工作表", "行号", "列", "列号", "值", "问题")


def write_error_workbook(problems: Iterable[Problem], path: str | Path, *, source: str | Path | None = None) -> Path:
    """The problems as a workbook (错误清单), written atomically; returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from desktop.core.exchange.export import atomic_write

    path = Path(path)

    def write(tmp: Path) -> None:
        wb = Workbook()
        ws = wb.active
        ws.title = "错误清单"
        ws.append(list(ERROR_HEADERS))
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="C00000")
        for p in problems:
            value = p.value
            if value is not None and not isinstance(value, int | float | str):
                value = str(value)
            ws.append([p.level, p.sheet, p.row, p.column, p.column_letter, None, p.message])
            cell = ws.cell(row=ws.max_row, column=6)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
                cell.number_format = "@"
        for letter, width in zip("ABCDEFG", (6, 12, 8, 16, 6, 28, 80), strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:G{max(ws.max_row, 2)}"
        if source is not None:
            info = wb.create_sheet("来源")
            info.append(["文件", str(source)])
        wb.save(tmp)

    atomic_write(path, write)
    return path
