"""``cchc-bot export`` as a real process on a database with stored answers."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.export import COLUMNS
from tests.test_export import BAND, SEEDS, SELF_POINTS, seed_assessment

ROOT = Path(__file__).resolve().parent.parent


def _run(
    db_url: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
    environ.update(DATABASE_URL=db_url, DATA_DIR=str(tmp_path), LOG_LEVEL="WARNING")
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_export_xlsx_and_csv(
    db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_assessment(session_factory)
    out = tmp_path / "huyen-a.xlsx"
    done = _run(db_url, tmp_path, "--unit", "huyen-a", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "UBND huyện A" in done.stdout and f"{len(SEEDS)}/" in done.stdout
    ws = load_workbook(out).active
    assert ws is not None
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[4] == COLUMNS
    by_code = {r[0]: r for r in rows[5:] if r[0]}
    for seed in SEEDS:
        assert Decimal(str(by_code[seed.code][3])) == Decimal(seed.points)
    labels = {r[1]: r for r in rows if r[1]}
    assert Decimal(str(labels["Tổng điểm tự chấm"][3])) == SELF_POINTS
    assert labels["Xếp loại"][3] == BAND

    # The extension decides; --format must agree with it.
    out_csv = tmp_path / "huyen-a.csv"
    done = _run(db_url, tmp_path, "--unit", "huyen-a", "--format", "csv", "-o", str(out_csv))
    assert done.returncode == 0, done.stderr
    content = out_csv.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    assert {r[0] for r in table if r[0]} >= {s.code for s in SEEDS}


async def test_format_follows_the_extension_and_a_mismatch_is_refused(
    db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_assessment(session_factory)
    for args, words in [
        (["--format", "csv", "-o", "a.xlsx"], "--format csv không khớp với đuôi tệp .xlsx"),
        (["--format", "xlsx", "-o", "a.csv"], "--format xlsx không khớp với đuôi tệp .csv"),
        (["-o", "a.pdf"], "Tên tệp phải có đuôi .xlsx hoặc .csv (đang là «.pdf»)"),
        (["-o", "a"], "Tên tệp phải có đuôi .xlsx hoặc .csv"),
    ]:
        done = _run(db_url, tmp_path, "--unit", "huyen-a", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert words in done.stderr, done.stderr
        assert not (tmp_path / args[-1]).exists()


async def test_csv_dialect_excel_vn_by_option_and_by_setting(
    db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_assessment(session_factory)
    out = tmp_path / "vn.csv"
    done = _run(db_url, tmp_path, "--unit", "huyen-a", "--csv-dialect", "excel-vn", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert tuple(table[0]) == COLUMNS
    labels = {r[1]: r for r in table if len(r) > 3 and r[1]}
    assert labels["Tổng điểm tự chấm"][3] == format(
        SELF_POINTS.quantize(Decimal("0.01")), "f"
    ).replace(".", ",")
    assert all("." not in r[3] for r in table[1:] if len(r) > 3)  # "," decimals only
    # The setting makes it the default for .csv; "standard" by option still wins.
    env_out = tmp_path / "env.csv"
    done = _run(
        db_url,
        tmp_path,
        "--unit",
        "huyen-a",
        "-o",
        str(env_out),
        env={"EXPORT_CSV_DIALECT": "excel-vn"},
    )
    assert done.returncode == 0, done.stderr
    assert env_out.read_bytes() == out.read_bytes()
    std = tmp_path / "std.csv"
    done = _run(
        db_url,
        tmp_path,
        "--unit",
        "huyen-a",
        "--csv-dialect",
        "standard",
        "-o",
        str(std),
        env={"EXPORT_CSV_DIALECT": "excel-vn"},
    )
    assert done.returncode == 0, done.stderr
    assert tuple(next(csv.reader(io.StringIO(std.read_bytes().decode("utf-8-sig"))))) == COLUMNS


async def test_unknown_unit_fails_clearly(
    db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_assessment(session_factory)
    out = tmp_path / "x.xlsx"
    done = _run(db_url, tmp_path, "--unit", "khong-co", "-o", str(out))
    assert done.returncode == 1
    assert "Không tìm thấy đơn vị có mã “khong-co”" in done.stderr
    assert not out.exists()
