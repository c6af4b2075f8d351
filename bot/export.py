"""Exporting a unit's assessment for the provincial software: XLSX (print-ready) and CSV.

The builders are pure: they take the criteria set, plain views of the stored answers and the
summary, and return bytes. Points stay ``Decimal`` to the cell, so the file holds exactly the
figures that were stored (16,875 stays 16,875; two decimals at least, never rounded).

Safe to open: a text cell that a spreadsheet would run as a formula (starting with = + - @,
a tab or a carriage return) is written as text — a string cell with the quote prefix in the
XLSX, a leading ``'`` in the CSV. Dates are dates: a datetime cell in the XLSX, ISO 8601 (or
dd/mm/yyyy in the ``excel-vn`` dialect) in the CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, Person, Unit, printable
from bot.errors import CchcError
from bot.services import assessments
from criteria.schema import CriteriaSet, Criterion
from criteria.scoring import ScoreResult, Summary, format_points

RowKind = Literal["area", "group", "criterion", "area_total"]

COLUMNS: tuple[str, ...] = (
    "Mã",
    "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",  # one name per level of the tree
    "Điểm tối đa",
    "Điểm tự chấm",
    "Cách tính",
    "Tài liệu kiểm chứng",
    "Giải trình",
    "Phòng phụ trách",
    "Người chấm",
    "Cập nhật",
)
# Print widths (characters) of the columns above, for an A4 landscape page fitted to width.
WIDTHS: tuple[int, ...] = (9, 48, 9, 9, 42, 38, 30, 20, 18, 16)
SURVEY_NOTE = "Do tỉnh chấm qua điều tra xã hội học (không tự chấm)"
SURVEY_ANNOUNCED = "Kết quả điều tra xã hội học do tỉnh công bố (không tự chấm)"
NOT_SCORED = "Chưa chấm"
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What the export reads of one saved answer: a plain view of the database rows."""

    code: str
    points: Decimal
    max: Decimal
    explanation: str = ""
    evidence: tuple[str, ...] = ()
    justification: str = ""
    not_applicable: bool = False
    excluded: bool = False
    author_id: int | None = None
    updated_at: datetime | None = None

    def result(self) -> ScoreResult:
        return ScoreResult(
            points=self.points,
            max=self.max,
            explanation=self.explanation,
            not_applicable=self.not_applicable,
            excluded=self.excluded,
        )


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One line of the export: an area heading, a group, a criterion or an area total."""

    kind: RowKind
    code: str
    title: str
    max: Decimal | None
    points: Decimal | None = None
    explanation: str = ""
    evidence: tuple[str, ...] = ()
    justification: str = ""
    department: str = ""
    author: str = ""
    updated: datetime | None = None  # local time, naive (a spreadsheet has no time zones)

    def cells(self, evidence_separator: str) -> list[object]:
        return [
            self.code,
            self.title,
            self.max,
            self.points,
            self.explanation,
            evidence_separator.join(self.evidence),
            self.justification,
            self.department,
            self.author,
            self.updated,
        ]


@dataclass(frozen=True, slots=True)
class Export:
    """Everything a file needs: the set, the unit, its rows and totals, and the date."""

    cset: CriteriaSet
    unit_name: str
    rows: list[ExportRow]
    summary: Summary
    exported_on: date = field(default_factory=date.today)
    extras: assessments.Extras = field(default_factory=assessments.Extras)
    year: int | None = None  # the assessment year (the set's own year when None)


def evidence_text(answer: Answer) -> tuple[str, ...]:
    """Evidence items as text: document numbers/dates, file names, links; then what is missing."""
    items: list[str] = []
    for item in answer.evidence:
        if item.kind == "file":
            items.append(f"Tệp: {item.file_name or item.text or 'không tên'}")
        elif item.kind == "photo":
            items.append(f"Ảnh: {item.file_name or item.text or 'không tên'}")
        elif item.text:
            items.append(item.text)
    if answer.evidence_status == assessments.EVIDENCE_MISSING:
        items.append("Còn thiếu — bổ sung sau")
    elif answer.evidence_status == assessments.EVIDENCE_PENDING and not items:
        items.append("Chưa khai báo")
    return tuple(items)


def stored_answer(answer: Answer) -> StoredAnswer:
    """The export's view of a stored answer (evidence items loaded with it)."""
    return StoredAnswer(
        code=answer.code,
        points=Decimal(answer.points),
        max=Decimal(answer.max),
        explanation=answer.explanation,
        evidence=evidence_text(answer),
        justification=answer.explanation_text or "",
        not_applicable=answer.not_applicable,
        excluded=answer.excluded,
        author_id=answer.author,
        updated_at=answer.updated_at,
    )


async def load(
    session: AsyncSession,
    unit: Unit,
    cset: CriteriaSet,
    tz: tzinfo,
    now: datetime,
    year: int | None = None,
) -> Export:
    """Everything the files of ``unit``'s assessment for ``year`` (default: the set's year)
    need, read in one go (no writes)."""
    year = year or cset.year
    assessment = await assessments.find(session, unit.id, cset, year)
    answers: dict[str, StoredAnswer] = {}
    extras = assessments.Extras()
    if assessment is not None:
        stored = await assessments.answers(session, assessment.id)
        answers = {code: stored_answer(a) for code, a in stored.items()}
        extras = await assessments.extras(session, assessment, cset)
    authors = {a.author_id for a in answers.values() if a.author_id is not None}
    names: dict[int, str] = {}
    if authors:
        people = await session.execute(select(Person).where(Person.telegram_id.in_(authors)))
        names = {p.telegram_id: p.display_name for p in people.scalars() if p.display_name}
    return Export(
        cset=cset,
        unit_name=unit.name,
        rows=build_rows(cset, answers, names, tz, extras.survey),
        summary=summary_of(cset, answers, extras),
        extras=extras,
        exported_on=now.astimezone(tz).date(),
        year=year,
    )


def local_time(value: datetime | None, tz: tzinfo) -> str:
    """``dd/mm/yyyy HH:MM`` in ``tz`` (an empty string for no time)."""
    return "" if value is None else value.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def local_datetime(value: datetime | None, tz: tzinfo) -> datetime | None:
    """``value`` in ``tz``, to the minute, without the zone (what a spreadsheet cell holds)."""
    if value is None:
        return None
    return value.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)


# Characters that make a spreadsheet read a cell as a formula (or smuggle one in).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def summary_of(
    cset: CriteriaSet,
    answers: Mapping[str, StoredAnswer],
    extras: assessments.Extras | None = None,
) -> Summary:
    """The totals of the stored answers, with the bonus, penalty and survey figures entered."""
    by_code = cset.by_code()
    results = {
        code: a.result()
        for code, a in answers.items()
        if code in by_code and by_code[code].is_leaf and not by_code[code].is_survey
    }
    return (extras or assessments.Extras()).summarise(cset, results)


def _walk(node: Criterion, department: str | None) -> Iterator[tuple[Criterion, str | None]]:
    # A leaf without its own department belongs to the nearest ancestor's.
    own = node.department or department
    yield node, own
    for child in node.children:
        yield from _walk(child, own)


def build_rows(
    cset: CriteriaSet,
    answers: Mapping[str, StoredAnswer],
    people_names: Mapping[int, str],
    tz: tzinfo,
    survey: Mapping[str, Decimal] | None = None,
) -> list[ExportRow]:
    """The rows of the export, area by area: heading, criteria, then the area's total.

    Area totals count self-scored criteria only; survey criteria are listed with a note and
    the points the province announced (``survey``), when entered.
    """
    rows: list[ExportRow] = []
    for area in cset.areas:
        rows.append(ExportRow(kind="area", code=area.code, title=area.title, max=area.max))
        points = Decimal(0)
        maximum = Decimal(0)
        for node, dep in _walk(area, None):
            if node is area:
                continue
            department = cset.department_name(dep)
            if not node.is_leaf:
                rows.append(
                    ExportRow(
                        kind="group",
                        code=node.code,
                        title=node.title,
                        max=node.max,
                        department=department,
                    )
                )
                continue
            if not node.is_survey:
                maximum += node.max
            answer = None if node.is_survey else answers.get(node.code)
            announced = (survey or {}).get(node.code) if node.is_survey else None
            if announced is not None:
                rows.append(
                    ExportRow(
                        kind="criterion",
                        code=node.code,
                        title=node.title,
                        max=node.max,
                        points=announced,
                        explanation=SURVEY_ANNOUNCED,
                        department=department,
                    )
                )
                continue
            if answer is None:
                rows.append(
                    ExportRow(
                        kind="criterion",
                        code=node.code,
                        title=node.title,
                        max=node.max,
                        explanation=SURVEY_NOTE if node.is_survey else NOT_SCORED,
                        department=department,
                    )
                )
                continue
            points += answer.points
            if answer.excluded:
                # "Không phát sinh", excluded: the area's maximum drops as the index's does
                # (and as the officer's progress view shows).
                maximum -= node.max
            author = ""
            if answer.author_id is not None:
                author = people_names.get(answer.author_id, str(answer.author_id))
            rows.append(
                ExportRow(
                    kind="criterion",
                    code=node.code,
                    title=node.title,
                    max=node.max,
                    points=answer.points,
                    explanation=answer.explanation,
                    evidence=answer.evidence,
                    justification=answer.justification,
                    department=department,
                    author=author,
                    updated=local_datetime(answer.updated_at, tz),
                )
            )
        rows.append(
            ExportRow(
                kind="area_total",
                code="",
                title=f"Cộng lĩnh vực {area.code} (phần tự chấm)",
                max=maximum,
                points=points,
            )
        )
    return rows


def summary_lines(summary: Summary) -> list[tuple[str, Decimal | str | None, Decimal | None]]:
    """The closing lines of a file: (label, value, maximum)."""
    lines: list[tuple[str, Decimal | str | None, Decimal | None]] = [
        ("Tổng điểm tự chấm", summary.self_points, summary.self_max),
        (
            "Điểm điều tra xã hội học (do tỉnh chấm, không tự chấm)",
            summary.survey_points if summary.survey_points else None,
            summary.survey_max,
        ),
        ("Điểm thưởng", summary.bonus, None),
        ("Điểm trừ", summary.penalty, None),
    ]
    if summary.excluded_max:
        lines.append(
            (
                "Điểm tối đa tính chỉ số (đã loại tiêu chí không phát sinh)",
                None,
                summary.denominator,
            )
        )
    lines += [
        # Truncated, never rounded up: a shown 85,00 % is really at least 85 %.
        ("Chỉ số CCHC (%)", summary.index.quantize(_CENT, rounding=ROUND_DOWN), None),
        ("Xếp loại", summary.band, None),
    ]
    return lines


def _points(value: Decimal | None) -> Decimal | None:
    """At least two decimals (``1.00``), never fewer than the figure has (``16.875``)."""
    if value is None:
        return None
    exponent = value.normalize().as_tuple().exponent
    return value.quantize(_CENT) if isinstance(exponent, int) and exponent >= -2 else value


def filename(unit_code: str, cset: CriteriaSet, fmt: str, year: int | None = None) -> str:
    """The file's name says the set and the assessment year: ``cchc-<set>-y<year>-<unit>``."""
    return f"cchc-{cset.id}-y{year or cset.year}-{unit_code}.{fmt}"


# --- XLSX ------------------------------------------------------------------------------------


def to_xlsx(
    cset: CriteriaSet,
    unit_name: str,
    rows: Sequence[ExportRow],
    summary: Summary,
    *,
    exported_on: date | None = None,
    year: int | None = None,
) -> bytes:
    """A print-ready workbook: title block (set, year, unit, date), header, criteria by area
    with totals, summary."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "Tự chấm điểm"
    ncols = len(COLUMNS)
    last_col = get_column_letter(ncols)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    area_fill = PatternFill("solid", fgColor="DDEBF7")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    number_format = "0.00####"
    date_format = "dd/mm/yyyy hh:mm"

    _cell(ws, 1, 1, cset.title)
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last_col}1")
    ws["A2"] = f"Đơn vị: {unit_name}"
    ws["A2"].font = bold
    ws.merge_cells(f"A2:{last_col}2")
    ws["A3"] = f"Ngày xuất: {(exported_on or date.today()).strftime('%d/%m/%Y')}"
    ws.merge_cells(f"A3:{last_col}3")
    ws["A4"] = f"Bộ tiêu chí: {cset.id} · Năm đánh giá: {year or cset.year}"
    ws.merge_cells(f"A4:{last_col}4")
    header_row = 5
    for col, name in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=header_row, column=col, value=name)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = area_fill
        cell.border = border

    r = header_row
    for row in rows:
        r += 1
        values = row.cells("\n")
        values[2], values[3] = _points(row.max), _points(row.points)
        for col, value in enumerate(values, start=1):
            cell = _cell(ws, r, col, value if value != "" else None)
            cell.alignment = wrap
            cell.border = border
            if col in (3, 4):
                cell.number_format = number_format
            elif isinstance(value, datetime):
                cell.number_format = date_format
            if row.kind in ("area", "area_total"):
                cell.font = bold
                cell.fill = area_fill if row.kind == "area" else total_fill
            elif row.kind == "group":
                cell.font = Font(italic=True)
    last_data_row = r

    r += 1
    for label, value, maximum in summary_lines(summary):
        r += 1
        ws.cell(row=r, column=2, value=label).font = bold
        ws.cell(row=r, column=2).alignment = wrap
        if maximum is not None:
            ws.cell(row=r, column=3, value=_points(maximum)).number_format = number_format
        if isinstance(value, Decimal):
            ws.cell(row=r, column=4, value=_points(value)).number_format = number_format
        elif value is not None:
            _cell(ws, r, 4, value)
        ws.cell(row=r, column=4).font = bold
    if summary.survey_max and not summary.survey_points:
        r += 2
        ws.cell(row=r, column=2, value=_survey_note(summary)).alignment = wrap
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=ncols)

    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.auto_filter.ref = f"A{header_row}:{last_col}{last_data_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(ws: Any, row: int, column: int, value: object) -> Any:
    """A cell holding ``value``; text that looks like a formula stays text (never run), and
    without control characters (a cell cannot hold them: rows stored before they were kept out
    of the database would make the whole export fail)."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        value = printable(value)
    if is_formula_like(value):
        cell.value = value
        cell.data_type = "s"  # openpyxl made it a formula ("f") from the leading "="
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    else:
        cell.value = value
    return cell


def _survey_note(summary: Summary) -> str:
    return (
        f"Ghi chú: {format_points(summary.survey_max)} điểm điều tra xã hội học do tỉnh chấm, "
        "chưa tính vào chỉ số tạm tính ở trên cho đến khi có kết quả."
    )


# --- CSV -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How a CSV is written: ``standard`` ("," between fields, "." decimals, ISO dates) or
    ``excel-vn`` (";" and "," decimals, dd/mm/yyyy: what Excel in a Vietnamese locale opens
    into columns)."""

    name: str
    delimiter: str
    decimal: str
    date_format: str


CSV_DIALECTS = {
    "standard": CsvDialect("standard", ",", ".", "%Y-%m-%d %H:%M"),
    "excel-vn": CsvDialect("excel-vn", ";", ",", "%d/%m/%Y %H:%M"),
}


def _csv_value(value: object, dialect: CsvDialect) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(_points(value), "f")
        return text.replace(".", dialect.decimal)
    if isinstance(value, datetime):
        return value.strftime(dialect.date_format)
    text = printable(str(value))  # as in the XLSX
    # A spreadsheet opening the CSV would run it: a leading ' makes it text.
    return "'" + text if is_formula_like(text) else text


def to_csv(
    cset: CriteriaSet,
    unit_name: str,
    rows: Sequence[ExportRow],
    summary: Summary,
    *,
    exported_on: date | None = None,
    dialect: str = "standard",
) -> bytes:
    """The same columns as the workbook, UTF-8 with a BOM so that Excel reads Vietnamese.

    No title block: the file is meant to be read by programs; the set and unit are in its name.
    """
    d = CSV_DIALECTS[dialect]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=d.delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(v, d) for v in row.cells("; ")])
    for label, value, maximum in summary_lines(summary):
        cells: list[object] = ["", label, maximum, value, "", "", "", "", "", ""]
        writer.writerow([_csv_value(v, d) for v in cells])
    return out.getvalue().encode("utf-8-sig")


FORMATS = ("xlsx", "csv")


def render(export: Export, fmt: str, csv_dialect: str = "standard") -> bytes:
    """The file of ``export`` in ``fmt`` (``xlsx`` or ``csv``, the CSV in ``csv_dialect``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "xlsx":
        return to_xlsx(
            export.cset,
            export.unit_name,
            export.rows,
            export.summary,
            exported_on=export.exported_on,
            year=export.year,
        )
    return to_csv(
        export.cset,
        export.unit_name,
        export.rows,
        export.summary,
        exported_on=export.exported_on,
        dialect=csv_dialect,
    )


class FormatMismatch(CchcError):
    """The file name and the format asked for disagree."""


def format_for(path_suffix: str, asked: str | None) -> str:
    """The format of a file named ``….suffix``: the extension decides; ``asked`` (--format)
    must agree with it. Anything else is refused (Vietnamese message): no CSV in a .xlsx, no
    XLSX in a .pdf."""
    suffix = path_suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise FormatMismatch(
            f"Tên tệp phải có đuôi .xlsx hoặc .csv (đang là «{path_suffix or 'không có đuôi'}»); "
            "định dạng tệp theo đuôi tên tệp."
        )
    if asked is not None and asked != suffix:
        raise FormatMismatch(
            f"--format {asked} không khớp với đuôi tệp .{suffix}: hãy đặt tên tệp .{asked} "
            f"hoặc bỏ --format (định dạng theo đuôi tên tệp)."
        )
    return suffix


def area_chart_rows(summary: Summary) -> Sequence[tuple[str, str, Decimal, Decimal]]:
    """(code, title, points, max) of the self-scored areas, for the chart."""
    return [
        (a.code, a.title, a.points, a.max - a.excluded_max)
        for a in summary.areas
        if a.max - a.excluded_max > 0
    ]
