"""The command line of levels and years: unit kinds the sets declare, ``year open`` (bad input
exits 2 and changes nothing), ``year list``, ``set list`` counting the units on each set, and
exports naming the set and year."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from tests.conftest import write_next_year_set


@pytest.fixture
def province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRITERIA_DIR", str(write_next_year_set(tmp_path / "sets")))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DEFAULT_SET", raising=False)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rollover_from_the_command_line(
    province: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "unit", "add", "huyen-a", "UBND huyện A", "--kind", "huyen")[0] == 0
    assert _run(capsys, "unit", "add", "xa-b", "UBND xã B", "--kind", "xa")[0] == 0
    code, _, err = _run(capsys, "unit", "add", "so-c", "Sở C", "--kind", "so")
    assert code == 2 and "Cấp đơn vị «so» không có bộ tiêu chí nào" in err
    assert "so-c" not in _run(capsys, "unit", "list")[1]

    def using(out: str) -> dict[str, str]:
        return {row.split("\t")[0]: row.split("\t")[5] for row in out.splitlines()[1:]}

    assert using(_run(capsys, "set", "list")[1]) == {
        "huyen-2021": "1",
        "xa-2025": "1",
        "xa-2026": "0",
    }
    for argv, message in (
        (("2026", "--set", "xa-2027"), "Không có bộ tiêu chí mã «xa-2027»"),
        (("2026", "--set", "xa-2025"), "bản sao với id và năm 2026"),
        (("2026", "--set", "xa-2026", "--kind", "huyen"), "không dùng được cho đơn vị cấp huyện"),
        (("2026", "--set", "xa-2026", "--kind", "tinh"), "Cấp đơn vị «tinh»"),
    ):
        code, _, err = _run(capsys, "year", "open", *argv)
        assert code == 2 and message in err, (argv, err)
    assert _run(capsys, "year", "list")[1].splitlines()[1:] == [
        "huyện\t2021\thuyen-2021\tđang dùng",
        "xã\t2025\txa-2025\tđang dùng",
    ]

    code, out, _ = _run(capsys, "year", "open", "2026", "--set", "xa-2026", "--kind", "xa")
    assert code == 0 and "Đã mở năm đánh giá 2026 cho cấp xã: 1 đơn vị" in out
    assert using(_run(capsys, "set", "list")[1]) == {
        "huyen-2021": "1",
        "xa-2025": "0",
        "xa-2026": "1",
    }
    assert _run(capsys, "year", "list")[1].splitlines()[-1] == "xã\t2026\txa-2026\tđang dùng"
    code, _, err = _run(capsys, "year", "open", "2025", "--set", "xa-2025")
    assert code == 2 and "đang đánh giá năm 2026" in err

    target = province / "xa-b.xlsx"
    code, out, _ = _run(capsys, "export", "--unit", "xa-b", "-o", str(target))
    assert code == 0 and "(bộ xa-2026, năm đánh giá 2026)" in out
    sheet = load_workbook(target).active
    assert sheet is not None and sheet["A4"].value == "Bộ tiêu chí: xa-2026 · Năm đánh giá: 2026"
    code, _, err = _run(capsys, "export", "--unit", "xa-b", "--year", "2019", "-o", str(target))
    assert code == 2 and "không có bản tự đánh giá năm 2019" in err


def test_an_officers_department_is_one_of_their_units_level(
    province: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_USERNAME", "cchc_test_bot")
    assert _run(capsys, "unit", "add", "xa-b", "UBND xã B", "--kind", "xa")[0] == 0
    code, out, _ = _run(
        capsys, "invite", "--role", "officer", "--unit", "xa-b", "--department", "KT"
    )
    assert code == 0 and "?start=" in out
    # Phòng Tư pháp is a district department: not one of a commune's offices.
    code, _, err = _run(
        capsys, "invite", "--role", "officer", "--unit", "xa-b", "--department", "TP"
    )
    assert code == 1 and "Không có phòng/Sở mã «TP»" in err and "KT" in err
