"""Export files (XLSX, CSV) and the chart, checked against the answers stored in the database."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import export
from bot.chart import area_chart
from bot.db.models import Answer, Assessment, Evidence, Person
from bot.services.people import add_unit
from criteria.loader import load_catalogue
from criteria.schema import CriteriaSet

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UPDATED = datetime(2021, 11, 8, 3, 5, tzinfo=UTC)  # 10:05 in Hà Nội
OFFICER_TP = 7
OFFICER_VP = 8


@dataclass(frozen=True)
class Seed:
    code: str
    points: str
    max: str
    department: str
    author: int
    evidence: tuple[tuple[str, str], ...] = ()
    status: str = "ok"
    justification: str | None = None
    not_applicable: bool = False
    excluded: bool = False


SEEDS = (
    Seed("1.1.1", "1", "1", "NV", OFFICER_TP, (("doc", "Số 12/KH-UBND ngày 05/01/2021"),)),
    Seed("1.1.2", "1.75", "2", "NV", OFFICER_TP, (("file", "bao-cao-ket-qua.pdf"),)),
    Seed("2.1", "0", "1", "TP", OFFICER_TP, not_applicable=True, excluded=True),
    Seed("2.5", "1.25", "1.5", "TP", OFFICER_TP, status="missing"),
    Seed(
        "3.4.1",
        "2.25",
        "2.5",
        "VP",
        OFFICER_VP,
        status="explained",
        justification="Phần mềm một cửa chưa xuất được báo cáo năm",
    ),
    Seed("7.1.2", "0.25", "1.5", "VP", OFFICER_VP, (("link", "https://vb.example.vn/123"),)),
)
# Expected figures of SEEDS, computed by hand.
AREA_POINTS = {
    "1": Decimal("2.75"),
    "2": Decimal("1.25"),
    "3": Decimal("2.25"),
    "7": Decimal("0.25"),
}
SELF_POINTS = Decimal("6.5")
INDEX = Decimal("6.5656")  # 6,5 / (100 − 1 excluded) × 100, floored to 4 decimals
INDEX_SHOWN = Decimal("6.56")  # truncated, never rounded up, in the files
BAND = "Yếu"


def current_set() -> CriteriaSet:
    catalogue, issues = load_catalogue()
    assert catalogue is not None, issues
    return catalogue.current


async def seed_assessment(
    factory: async_sessionmaker[AsyncSession], unit_code: str = "huyen-a"
) -> int:
    """A unit, two officers and the answers of SEEDS; returns the assessment id."""
    cset = current_set()
    async with factory() as session, session.begin():
        unit = await add_unit(session, unit_code, "UBND huyện A")
        session.add_all(
            [
                Person(
                    telegram_id=OFFICER_TP,
                    display_name="Trần Thị Bình",
                    role="officer",
                    unit_id=unit.id,
                    department="TP",
                ),
                Person(
                    telegram_id=OFFICER_VP,
                    display_name="Lê Văn Cường",
                    role="officer",
                    unit_id=unit.id,
                    department="VP",
                ),
            ]
        )
        assessment = Assessment(unit_id=unit.id, set_id=cset.id, year=cset.year)
        session.add(assessment)
        await session.flush()
        for seed in SEEDS:
            answer = Answer(
                assessment_id=assessment.id,
                code=seed.code,
                department=seed.department,
                raw=json.dumps({}),
                points=Decimal(seed.points),
                max=Decimal(seed.max),
                explanation=f"Cách tính {seed.code}",
                not_applicable=seed.not_applicable,
                excluded=seed.excluded,
                evidence_status=seed.status,
                explanation_text=seed.justification,
                author=seed.author,
                created_at=UPDATED,
                updated_at=UPDATED,
            )
            answer.evidence = [
                Evidence(
                    kind=kind,
                    text=None if kind == "file" else text,
                    file_id="FILE-ID" if kind == "file" else None,
                    file_name=text if kind == "file" else None,
                    author=seed.author,
                )
                for kind, text in seed.evidence
            ]
            session.add(answer)
        return assessment.id


async def load_seeded(factory: async_sessionmaker[AsyncSession]) -> export.Export:
    async with factory() as session:
        from bot.services.people import get_unit

        unit = await get_unit(session, "huyen-a")
        assert unit is not None
        return await export.load(
            session, unit, current_set(), TZ, datetime(2021, 11, 15, 2, 0, tzinfo=UTC)
        )


def _sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    assert ws is not None
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _num(value: object) -> Decimal:
    assert isinstance(value, int | float), value
    return Decimal(str(value))


async def test_xlsx_matches_stored_answers(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_assessment(session_factory)
    data = await load_seeded(session_factory)
    content = export.render(data, "xlsx")
    rows = _sheet_rows(content)

    assert rows[0][0] == current_set().title
    assert rows[1][0] == "Đơn vị: UBND huyện A"
    assert rows[2][0] == "Ngày xuất: 15/11/2021"
    assert rows[4] == export.COLUMNS
    assert rows[4][:2] == ("Mã", "Lĩnh vực / Tiêu chí / Tiêu chí thành phần")
    by_code = {r[0]: r for r in rows[5:] if r[0]}
    # Every stored answer, cell by cell.
    assert by_code["1.1.1"][2:] == (
        1,
        1,
        "Cách tính 1.1.1",
        "Số 12/KH-UBND ngày 05/01/2021",
        None,
        "Phòng Nội vụ",
        "Trần Thị Bình",
        datetime(2021, 11, 8, 10, 5),  # a date cell, local time
    )
    assert _num(by_code["1.1.2"][3]) == Decimal("1.75")
    assert by_code["1.1.2"][5] == "Tệp: bao-cao-ket-qua.pdf"
    assert by_code["2.5"][5] == "Còn thiếu — bổ sung sau"
    assert by_code["3.4.1"][6] == "Phần mềm một cửa chưa xuất được báo cáo năm"
    assert by_code["3.4.1"][8] == "Lê Văn Cường"
    assert by_code["7.1.2"][5] == "https://vb.example.vn/123"
    assert by_code["7.1.2"][7] == "Văn phòng HĐND và UBND"  # its own, not its group's
    assert by_code["1.2"][3] is None and by_code["1.2"][4] == export.NOT_SCORED
    assert by_code["8.1"][4] == export.SURVEY_NOTE
    for seed in SEEDS:
        assert _num(by_code[seed.code][3]) == Decimal(seed.points)

    # Area totals: the sum of the stored points of the area's criteria.
    totals = {str(r[1]).split()[3]: r for r in rows if str(r[1]).startswith("Cộng lĩnh vực")}
    assert len(totals) == len(current_set().areas)
    for code, total in totals.items():
        assert _num(total[3]) == AREA_POINTS.get(code, Decimal(0)), code
    assert _num(totals["8"][2]) == Decimal(8)  # self-scored part only (30 by survey)
    assert sum(_num(t[3]) for t in totals.values()) == SELF_POINTS

    labels = {r[1]: r for r in rows if r[1] is not None}
    assert _num(labels["Tổng điểm tự chấm"][3]) == SELF_POINTS
    assert _num(labels["Tổng điểm tự chấm"][2]) == current_set().self_scored_max
    assert _num(labels["Chỉ số CCHC (%)"][3]) == INDEX_SHOWN
    assert labels["Xếp loại"][3] == BAND
    assert data.summary.index == INDEX and data.summary.band == BAND


async def test_xlsx_is_formatted_for_print(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_assessment(session_factory)
    content = export.render(await load_seeded(session_factory), "xlsx")
    ws = load_workbook(io.BytesIO(content)).active
    assert ws is not None
    assert ws.freeze_panes == "A6"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A5:J")
    assert ws.print_title_rows == "$5:$5"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr is not None
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1
    assert all(c.font.bold for c in ws[5])
    assert ws.column_dimensions["B"].width == export.WIDTHS[1]
    cell = next(c for c in ws["A"] if c.value == "1.1.2")
    points = ws.cell(row=cell.row, column=4)
    assert points.number_format == "0.00####" and points.alignment.wrap_text


async def test_csv_has_bom_and_same_columns(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_assessment(session_factory)
    data = await load_seeded(session_factory)
    content = export.render(data, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == export.COLUMNS
    assert all(len(r) == len(export.COLUMNS) for r in rows)
    by_code = {r[0]: r for r in rows[1:] if r[0]}
    assert by_code["1.1.2"][3] == "1.75"
    assert by_code["1.1.1"][8] == "Trần Thị Bình"
    assert by_code["2.1"][3] == "0.00"
    labels = {r[1]: r for r in rows}
    assert labels["Tổng điểm tự chấm"][3] == "6.50"
    assert labels["Chỉ số CCHC (%)"][3] == "6.56"
    assert labels["Xếp loại"][3] == BAND
    # The XLSX and the CSV carry the same criteria in the same order.
    xlsx = [r[0] for r in _sheet_rows(export.render(data, "xlsx"))[5:] if r[0]]
    assert xlsx == [r[0] for r in rows[1:] if r[0]]


def test_build_rows_without_answers_scores_nothing() -> None:
    cset = current_set()
    rows = export.build_rows(cset, {}, {}, TZ)
    leaves = [r for r in rows if r.kind == "criterion"]
    assert [r.code for r in leaves] == [c.code for c in cset.leaves()]
    assert all(r.points is None for r in leaves)
    assert [r.points for r in rows if r.kind == "area_total"] == [Decimal(0)] * len(cset.areas)
    summary = export.summary_of(cset, {})
    assert summary.index == 0 and summary.band == cset.rating[-1].name


def test_chart_is_png() -> None:
    content = area_chart(
        [
            ("1", "Công tác chỉ đạo, điều hành cải cách hành chính", Decimal("7.5"), Decimal(10)),
            ("2", "Xây dựng và tổ chức thực hiện văn bản QPPL", Decimal(6), Decimal(6)),
            ("9", "Không có điểm tự chấm", Decimal(0), Decimal(0)),
        ],
        title="Điểm tự chấm theo lĩnh vực — UBND huyện Ân Thi",
        subtitle="Chỉ số tạm tính: 45,5 %",
    )
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    assert width > 600 and height > 200


def test_chart_does_not_import_matplotlib_at_startup() -> None:
    code = "import sys, bot.chart, bot.export; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_render_known_formats_only(fmt: str) -> None:
    cset = current_set()
    data = export.Export(
        cset=cset,
        unit_name="UBND huyện A",
        rows=export.build_rows(cset, {}, {}, TZ),
        summary=export.summary_of(cset, {}),
        exported_on=date(2021, 11, 15),
    )
    assert export.render(data, fmt)
    with pytest.raises(ValueError):
        export.render(data, "pdf")
