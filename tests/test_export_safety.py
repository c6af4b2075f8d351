"""Export files are safe to open and local: no text becomes a formula (XLSX or CSV), the
"excel-vn" CSV dialect, dates as date cells, exact points, and the area maximum without the
criteria excluded as "không phát sinh"."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bot import export
from tests.test_export import TZ, current_set

DANGEROUS = ["=1+1", '=HYPERLINK("http://x.example","bấm")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
UPDATED = datetime(2021, 11, 8, 3, 5, tzinfo=UTC)


def _export(evidence: tuple[str, ...], justification: str = "") -> export.Export:
    cset = current_set()
    answers = {
        "1.1.1": export.StoredAnswer(
            code="1.1.1",
            points=Decimal(1),
            max=Decimal(1),
            explanation="-1 điểm? không: Có → 1 điểm",
            evidence=evidence,
            justification=justification,
            author_id=5,
            updated_at=UPDATED,
        ),
        "2.1": export.StoredAnswer(
            code="2.1",
            points=Decimal(0),
            max=Decimal(1),
            explanation="Không phát sinh",
            not_applicable=True,
            excluded=True,
        ),
    }
    extras = export.assessments.Extras(survey={"8.2": Decimal("16.875")})
    return export.Export(
        cset=cset,
        unit_name="=UBND huyện A",
        rows=export.build_rows(cset, answers, {5: "@Bình"}, TZ, extras.survey),
        summary=export.summary_of(cset, answers, extras),
        extras=extras,
    )


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_has_no_formula_cell(text: str) -> None:
    content = export.render(_export((text,), justification=text), "xlsx")
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere
    ws = load_workbook(io.BytesIO(content)).active
    assert ws is not None
    row = next(r for r in ws.iter_rows() if r[0].value == "1.1.1")
    for cell in (row[5], row[6]):  # evidence, justification
        # (XML reads a lone CR back as LF; it is the same text cell.)
        assert cell.value == text.replace("\r", "\n") and cell.data_type == "s", cell.value
        assert cell.quotePrefix
    assert row[8].value == "@Bình" and row[8].data_type == "s"


@pytest.mark.parametrize("dialect", ["standard", "excel-vn"])
@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed(text: str, dialect: str) -> None:
    content = export.render(_export((text,), justification=text), "csv", dialect)
    delimiter = ";" if dialect == "excel-vn" else ","
    rows = list(
        csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )
    row = next(r for r in rows if r[0] == "1.1.1")
    assert row[5] == "'" + text and row[6] == "'" + text
    assert row[4] == "'-1 điểm? không: Có → 1 điểm" and row[8] == "'@Bình"
    for r in rows:
        for cell in r:
            assert not cell.startswith(export.FORMULA_START), cell


def test_csv_dialects_and_dates() -> None:
    data = _export(("Số 12/KH-UBND",))
    std = list(csv.reader(io.StringIO(export.render(data, "csv").decode("utf-8-sig"))))
    vn = list(
        csv.reader(
            io.StringIO(export.render(data, "csv", "excel-vn").decode("utf-8-sig")), delimiter=";"
        )
    )
    assert tuple(std[0]) == tuple(vn[0]) == export.COLUMNS
    s_row = next(r for r in std if r[0] == "1.1.1")
    v_row = next(r for r in vn if r[0] == "1.1.1")
    assert (s_row[3], s_row[9]) == ("1.00", "2021-11-08 10:05")
    assert (v_row[3], v_row[9]) == ("1,00", "08/11/2021 10:05")
    # Exact: 16,875 survey points are not rounded to 16,88.
    assert next(r for r in std if r[0] == "8.2")[3] == "16.875"
    assert next(r for r in vn if r[0] == "8.2")[3] == "16,875"


def test_xlsx_dates_are_dates_and_points_exact() -> None:
    ws = load_workbook(io.BytesIO(export.render(_export(()), "xlsx"))).active
    assert ws is not None
    row = next(r for r in ws.iter_rows() if r[0].value == "1.1.1")
    assert row[9].value == datetime(2021, 11, 8, 10, 5) and row[9].is_date
    survey = next(r for r in ws.iter_rows() if r[0].value == "8.2")
    assert Decimal(str(survey[3].value)) == Decimal("16.875")


def test_area_total_maximum_drops_by_the_excluded_criterion() -> None:
    rows = _export(()).rows
    total = next(r for r in rows if r.kind == "area_total" and "lĩnh vực 2 " in r.title)
    assert total.max == Decimal(5)  # 6 − 1 (2.1 "không phát sinh"), as the progress view says


def test_format_follows_the_extension() -> None:
    assert export.format_for(".XLSX", None) == "xlsx"
    assert export.format_for(".csv", "csv") == "csv"
    for suffix, asked in [(".xlsx", "csv"), (".pdf", None), ("", "xlsx"), (".csv", "xlsx")]:
        with pytest.raises(export.FormatMismatch):
            export.format_for(suffix, asked)


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f"])
def test_control_characters_in_stored_text_do_not_stop_the_export(control: str) -> None:
    # Rows stored before control characters were kept out of the database: the export still
    # opens, with the text readable (Word's line break, \x0b, and a form feed as line breaks).
    text = f"Quyết định 12{control}QĐ-UBND"
    clean = "Quyết định 12\nQĐ-UBND" if control in "\x0b\x0c" else "Quyết định 12QĐ-UBND"
    content = export.render(_export((text,), justification=text), "xlsx")
    ws = load_workbook(io.BytesIO(content)).active
    assert ws is not None
    row = next(r for r in ws.iter_rows() if r[0].value == "1.1.1")
    assert (row[5].value, row[6].value) == (clean, clean)
    for dialect in ("standard", "excel-vn"):
        csv_text = export.render(_export((text,), justification=text), "csv", dialect)
        assert control not in csv_text.decode("utf-8-sig")
