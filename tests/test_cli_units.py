"""The command line as an operator meets it: units, quiet migrations, Vietnamese errors, and a
console that never writes into the real bot's database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(
    tmp_path: Path, *args: str, stdin: str | None = None, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    """``cchc-bot`` with the embedded database of ``tmp_path`` (never DATABASE_URL)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BOT_TOKEN", "ADMIN_IDS", "DATABASE_URL", "REDIS_URL", "LOG_LEVEL"}
    }
    env.update({"DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO), **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_unit_add_refuses_an_existing_code_unless_update(tmp_path: Path) -> None:
    added = _run(tmp_path, "unit", "add", "huyen-a", "UBND huyện A")
    assert added.returncode == 0 and "Đã thêm đơn vị huyen-a" in added.stdout
    # Every database command migrates first; alembic's INFO lines stay out of it.
    assert added.stderr == "", added.stderr
    again = _run(tmp_path, "unit", "add", "huyen-a", "UBND huyện B")
    assert again.returncode == 1
    assert "Đã có đơn vị mã huyen-a: UBND huyện A" in again.stderr and "--update" in again.stderr
    assert "UBND huyện A" in _run(tmp_path, "unit", "list").stdout
    updated = _run(tmp_path, "unit", "add", "huyen-a", "UBND huyện B", "--kind", "xa", "--update")
    assert updated.returncode == 0 and "Đã cập nhật đơn vị huyen-a" in updated.stdout
    assert _run(tmp_path, "unit", "list").stdout.strip() == "huyen-a\txa\tUBND huyện B"


def test_migrations_speak_only_at_debug(tmp_path: Path) -> None:
    debug = _run(tmp_path, "unit", "list", LOG_LEVEL="DEBUG")
    assert "Running upgrade" in debug.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    quiet = _run(fresh, "db", "upgrade")
    assert quiet.returncode == 0 and "alembic" not in quiet.stderr


def test_os_errors_are_in_vietnamese(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    broken = _run(tmp_path, "unit", "list", DATA_DIR=str(blocker / "data"))
    assert broken.returncode == 1
    assert "Traceback" not in broken.stderr and "Errno" not in broken.stderr
    assert "không phải là thư mục" in broken.stderr or "không mở" in broken.stderr
    written = _run(tmp_path, "kb", "export", "-o", str(tmp_path))
    assert written.returncode == 1
    assert (
        written.stderr.strip()
        == f"Không ghi được tệp {tmp_path}: đây là một thư mục, không phải tệp"
    )


def test_officer_invite_needs_a_department(tmp_path: Path) -> None:
    _run(tmp_path, "unit", "add", "huyen-a", "UBND huyện A")
    refused = _run(tmp_path, "invite", "--role", "officer", "--unit", "huyen-a")
    assert refused.returncode == 1 and "--department" in refused.stderr
    made = _run(tmp_path, "invite", "--role", "officer", "--unit", "huyen-a", "--department", "TP")
    assert made.returncode == 0 and "?start=" in made.stdout


def _units(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT code FROM unit")]


@pytest.mark.e2e
def test_console_keeps_to_its_own_database_and_its_paused_step(tmp_path: Path) -> None:
    """`make run` without a token, twice: the real database never sees the demo unit, the
    personas are registered once, and a paused scoring step survives the restart."""
    first = _run(tmp_path, "console", stdin=":nguoi canbo\n/chamdiem\n1\n:thoat\n")
    assert first.returncode == 0, first.stderr
    assert "Chấm tiếp" in first.stdout and "Không phát sinh" in first.stdout
    second = _run(tmp_path, "console", stdin=":nguoi canbo\ncó\n:thoat\n")
    assert second.returncode == 0, second.stderr
    assert "Đã đăng ký sẵn canbo, dieuphoi, so" in second.stdout
    # Typed text on the paused yes/no step is the step's own hint, not a search answer.
    after = second.stdout.split("canbo> có", 1)[1]
    assert "hãy chọn bằng các nút" in after and "Không phát sinh" in after
    assert _units(tmp_path / "console.db") == ["DEMO"]
    with sqlite3.connect(tmp_path / "console.db") as conn:
        assert conn.execute("SELECT count(*) FROM invite").fetchone() == (3,)  # once, not twice
    listed = _run(tmp_path, "unit", "list")
    assert listed.returncode == 0 and "DEMO" not in listed.stdout
    assert listed.stdout.strip() == "(chưa có)"
    fresh = _run(tmp_path, "console", "--fresh", stdin=":thoat\n")
    assert "cơ sở dữ liệu tạm" in fresh.stdout
    assert _units(tmp_path / "console.db") == ["DEMO"]
