"""A faster row writer for openpyxl's write-only worksheets.

openpyxl (without lxml) builds an ElementTree element per cell and serialises it through
et_xmlfile: about 60,000–160,000 cells/s, most of an exchange export's time. :class:`FastSheet`
is a ``WriteOnlyWorksheet`` whose data rows are written as ready-made ``<row>`` XML through the same
file stream, while openpyxl still writes everything around them (sheet properties, frozen panes,
column widths, autofilter, data validations, styles, the package). Cells are given as
:data:`Cell` tuples ``(type, value, style_id)``:

* ``"s"``: text, written as an inline string (what openpyxl's write-only mode writes too);
* ``"n"``: a number (int or Decimal), written as is;
* ``"d"``: a ``date``, written as its Excel serial number (1900 date system; callers pass only
  dates from 1900-03-01 on).

``style_id`` is an index into the workbook's cell styles (see :func:`style_id`), 0 for none.
When the stream is not et_xmlfile's (lxml installed), rows fall back to ordinary openpyxl cells.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Cell = tuple[str, Any, int]
EPOCH = date(1899, 12, 30)
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def style_id(ws: Any, number_format: str) -> tuple[int, StyleArray]:
    """The workbook's style index (and style array) for a cell with ``number_format``."""
    cell = WriteOnlyCell(ws, 0)
    cell.number_format = number_format
    return cell.style_id, StyleArray(cell._style)


class _RawRow:
    __slots__ = ("cells",)

    def __init__(self, cells: list[Cell | None]) -> None:
        self.cells = cells


class FastSheet(WriteOnlyWorksheet):
    """A write-only worksheet with :meth:`append_cells` for fast data rows."""

    def __init__(self, parent: Any, title: str | None = None) -> None:
        super().__init__(parent, title)
        self._letters: list[str] = []
        self._styles: dict[int, StyleArray] = {}

    def register_style(self, number_format: str) -> int:
        sid, array = style_id(self, number_format)
        self._styles[sid] = array
        return sid

    def append_cells(self, cells: list[Cell | None]) -> None:
        """Append one row of :data:`Cell` tuples (None = empty cell)."""
        self._get_writer()
        if self._rows is None:
            self._rows = self._write_rows()
            next(self._rows)
        self._rows.send(_RawRow(cells))

    def _write_rows(self):  # noqa: ANN202 - generator protocol of WriteOnlyWorksheet
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        raw = getattr(xf, "_file", None)
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = yield
                    if isinstance(row, _RawRow):
                        if raw is not None:
                            raw(self._row_xml(row.cells, row_idx))
                        else:  # pragma: no cover - only with lxml installed
                            cells = self._fallback_cells(row.cells)
                            self._writer.write_row(xf, self._values_to_row(cells, row_idx), row_idx)
                    else:
                        self._writer.write_row(xf, self._values_to_row(row, row_idx), row_idx)
                    row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)

    def _letter(self, i: int) -> str:
        letters = self._letters
        while len(letters) <= i:
            letters.append(get_column_letter(len(letters) + 1))
        return letters[i]

    def _row_xml(self, cells: list[Cell | None], row_idx: int) -> str:
        parts = [f'<row r="{row_idx}">']
        n = str(row_idx)
        for i, cell in enumerate(cells):
            if cell is None:
                continue
            kind, value, sid = cell
            ref = self._letter(i) + n
            style = f' s="{sid}"' if sid else ""
            if kind == "s":
                parts.append(f'<c r="{ref}"{style} t="inlineStr"><is><t>{value.translate(_ESCAPE)}</t></is></c>')
            elif kind == "d":
                parts.append(f'<c r="{ref}"{style} t="n"><v>{(value - EPOCH).days}</v></c>')
            else:
                parts.append(f'<c r="{ref}"{style} t="n"><v>{value}</v></c>')
        parts.append("</row>")
        if row_idx > self._max_row:
            self._max_row = row_idx
        if len(cells) > self._max_col:
            self._max_col = len(cells)
        return "".join(parts)

    def _fallback_cells(self, cells: list[Cell | None]) -> list[Any]:  # pragma: no cover - lxml only
        out: list[Any] = []
        for cell in cells:
            if cell is None:
                out.append(None)
                continue
            kind, value, sid = cell
            c = WriteOnlyCell(self, value)
            if kind == "s":
                c.data_type = "s"
            if sid:
                c._style = StyleArray(self._styles[sid])
            out.append(c)
        return out
