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


def _run(db_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS"}}
    env.update(DATABASE_URL=db_url, DATA_DIR=str(tmp_path), LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", *args],
        cwd=tmp_path,
        env=env,
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

    # --format wins over the extension.
    out_csv = tmp_path / "huyen-a.txt"
    done = _run(db_url, tmp_path, "--unit", "huyen-a", "--format", "csv", "-o", str(out_csv))
    assert done.returncode == 0, done.stderr
    content = out_csv.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    assert {r[0] for r in table if r[0]} >= {s.code for s in SEEDS}


async def test_unknown_unit_fails_clearly(
    db_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_assessment(session_factory)
    out = tmp_path / "x.xlsx"
    done = _run(db_url, tmp_path, "--unit", "khong-co", "-o", str(out))
    assert done.returncode == 1
    assert "Không tìm thấy đơn vị có mã “khong-co”" in done.stderr
    assert not out.exists()
