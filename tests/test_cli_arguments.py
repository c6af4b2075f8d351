"""Bad arguments on the command line: one Vietnamese line, exit 2, nothing stored, never a
traceback (invite --hours, export --year, unit add CODE NAME); and a database that cannot be
reached or refuses the connection is named as such, without the password or the URL."""

from __future__ import annotations

import socket
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli import _database_reason, main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded database in ``tmp_path/data`` (never DATABASE_URL), with one unit."""
    data = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("BOT_USERNAME", "cchc_test_bot")
    for name in ("DATABASE_URL", "DEFAULT_SET", "CRITERIA_DIR", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["unit", "add", "huyen-a", "UBND huyện A"]) == 0
    return data


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _usage_error(code: int, out: str, err: str) -> str:
    """The one line of a refused argument."""
    assert code == 2, (code, out, err)
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _invites(data: Path) -> int:
    with sqlite3.connect(data / "cchc.db") as db:
        count: int = db.execute("SELECT count(*) FROM invite").fetchone()[0]
    return count


def _units(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, _ = _run(capsys, "unit", "list")
    assert code == 0
    return [line.split("\t")[0] for line in out.splitlines()]


# --- invite --hours ------------------------------------------------------------------------


INVITE = ("invite", "--role", "officer", "--unit", "huyen-a", "--department", "TP")


def test_invite_hours_out_of_range_is_refused(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for hours in ("99999999999", "2161", "-5", "0", "abc", "", "1.5"):
        line = _usage_error(*_run(capsys, *INVITE, "--hours", hours))
        assert line == (
            f"Lỗi: --hours phải là số giờ nguyên từ 1 đến 2160 (90 ngày) (đã nhập «{hours}»)."
        )
    assert _invites(data_dir) == 0


def test_invite_hours_up_to_the_limit(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for hours in ("1", "2160"):
        code, out, err = _run(capsys, *INVITE, "--hours", hours)
        assert code == 0 and "?start=" in out and "Hết hạn:" in out, err
    assert _invites(data_dir) == 2


# --- export --year -------------------------------------------------------------------------


def test_export_year_out_of_range_is_refused_like_any_year_without_an_assessment(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a.xlsx"
    for year in ("99999999999999999999", "-99999999999999999999", "2147483648", "10000", "-1"):
        line = _usage_error(
            *_run(capsys, "export", "--unit", "huyen-a", "--year", year, "-o", str(target))
        )
        assert line == f"Đơn vị huyen-a không có bản tự đánh giá năm {int(year)}."
        assert not target.exists()


# --- unit add ------------------------------------------------------------------------------

CODE_RULE = (
    "chỉ gồm chữ cái không dấu, chữ số và các dấu '-', '_', '.', bắt đầu bằng chữ cái hoặc "
    "chữ số, dài tối đa 64 ký tự (ví dụ: huyen-a)."
)


BAD_UNITS = [
    ("", "UBND huyện B", "Lỗi: mã đơn vị không được để trống."),
    ("   ", "UBND huyện B", "Lỗi: mã đơn vị không được để trống."),
    ("../../etc/x", "UBND huyện B", f"Lỗi: mã đơn vị «../../etc/x» không hợp lệ: {CODE_RULE}"),
    ("a/b", "UBND huyện B", f"Lỗi: mã đơn vị «a/b» không hợp lệ: {CODE_RULE}"),
    (".an", "UBND huyện B", f"Lỗi: mã đơn vị «.an» không hợp lệ: {CODE_RULE}"),
    ("huyện-b", "UBND huyện B", f"Lỗi: mã đơn vị «huyện-b» không hợp lệ: {CODE_RULE}"),
    ("huyen b", "UBND huyện B", f"Lỗi: mã đơn vị «huyen b» không hợp lệ: {CODE_RULE}"),
    ("huyen\x07b", "UBND huyện B", f"Lỗi: mã đơn vị «huyen\\x07b» không hợp lệ: {CODE_RULE}"),
    ("b" * 65, "UBND huyện B", f"Lỗi: mã đơn vị «{'b' * 65}» không hợp lệ: {CODE_RULE}"),
    ("huyen-b", "", "Lỗi: tên đơn vị không được để trống."),
    ("huyen-b", "   ", "Lỗi: tên đơn vị không được để trống."),
    (
        "huyen-b",
        "UBND\thuyện B",
        "Lỗi: tên đơn vị có ký tự điều khiển (\\t), không in được; hãy gõ lại tên.",
    ),
    (
        "huyen-b",
        "UBND\x00 huyện B",
        "Lỗi: tên đơn vị có ký tự điều khiển (\\x00), không in được; hãy gõ lại tên.",
    ),
    (
        "huyen-b",
        "\x1b[31mUBND huyện B\x7f",
        "Lỗi: tên đơn vị có ký tự điều khiển (\\x1b, \\x7f), không in được; hãy gõ lại tên.",
    ),
    (
        "huyen-b",
        "UBND\nhuyện B",
        "Lỗi: tên đơn vị có ký tự điều khiển (\\n), không in được; hãy gõ lại tên.",
    ),
    ("huyen-b", "B" * 256, "Lỗi: tên đơn vị dài 256 ký tự, tối đa 255 ký tự."),
]


def test_unit_add_refuses_a_bad_code_or_name(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for code, name, message in BAD_UNITS:
        line = _usage_error(*_run(capsys, "unit", "add", code, name))
        assert line == message, (code, name)
        assert "\x1b" not in line and "\x00" not in line and "\x07" not in line
        if code == "huyen-b":  # not even over an existing unit
            line = _usage_error(*_run(capsys, "unit", "add", "huyen-a", name, "--update"))
            assert line == message, (code, name)
    assert _run(capsys, "unit", "list")[1].strip() == "huyen-a\thuyen\tUBND huyện A"


def test_unit_add_keeps_accepting_good_codes(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for code, name in (
        ("bench-1", "UBND thử"),
        ("X01", "Xã Thử"),
        ("xa_b.2", "UBND xã B (cũ)"),
        ("c" * 64, "D" * 255),
    ):
        done, out, err = _run(capsys, "unit", "add", code, name)
        assert done == 0 and out.strip() == f"Đã thêm đơn vị {code}: {name}", err
    # Spaces around a name are not part of it.
    done, out, _ = _run(capsys, "unit", "add", "huyen-a", "  UBND huyện A mới  ", "--update")
    assert done == 0 and out.strip() == "Đã cập nhật đơn vị huyen-a: UBND huyện A mới"
    assert sorted(_units(capsys)) == sorted(["bench-1", "X01", "xa_b.2", "c" * 64, "huyen-a"])


# --- a database that cannot be reached or refuses the connection ---------------------------


def test_an_unreachable_database_is_not_a_file_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    url = "postgresql+asyncpg://cchc:s3cret-pw@127.0.0.1:1/cchc"
    monkeypatch.setenv("DATABASE_URL", url)
    for argv in (("unit", "list"), ("unit", "add", "huyen-z", "UBND huyện Z")):
        code, out, err = _run(capsys, *argv)
        assert code == 1 and out == "", err
        assert err.strip() == (
            "Lỗi cơ sở dữ liệu: không kết nối được tới máy chủ 127.0.0.1:1: máy chủ từ chối "
            "kết nối (chưa chạy, hoặc sai địa chỉ hay cổng). Kiểm tra DATABASE_URL và máy chủ "
            "cơ sở dữ liệu."
        )
        assert "s3cret-pw" not in err and url not in err and "Lỗi tệp" not in err


def _fresh(db_url: str) -> str:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL (DATABASE_URL)")
    return db_url


def test_an_unknown_role_is_a_refused_connection(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = _fresh(db_url)
    role = f"nosuchrole_{uuid.uuid4().hex[:8]}"
    bad = make_url(good).set(username=role, password="s3cret-pw")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv("DATABASE_URL", bad.render_as_string(hide_password=False))
    code, out, err = _run(capsys, "unit", "add", "huyen-z", "UBND huyện Z")
    assert code == 1 and out == "", err
    assert err.strip() == (
        f"Lỗi cơ sở dữ liệu: máy chủ từ chối kết nối: không có người dùng (role) «{role}» "
        "trên máy chủ. Kiểm tra tên người dùng trong DATABASE_URL."
    )
    assert "s3cret-pw" not in err and "postgresql" not in err
    monkeypatch.setenv("DATABASE_URL", good)  # a server is migrated by `db upgrade` only
    assert _run(capsys, "db", "upgrade")[0] == 0
    assert _units(capsys) == ["(chưa có)"]


def test_an_unknown_database_is_a_refused_connection(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = _fresh(db_url)
    name = f"nosuchdb_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv(
        "DATABASE_URL", make_url(good).set(database=name).render_as_string(hide_password=False)
    )
    code, out, err = _run(capsys, "unit", "add", "huyen-z", "UBND huyện Z")
    assert code == 1 and out == "", err
    assert err.strip() == (
        f"Lỗi cơ sở dữ liệu: máy chủ từ chối kết nối: không có cơ sở dữ liệu «{name}». "
        "Tạo cơ sở dữ liệu trước, hoặc sửa tên trong DATABASE_URL."
    )
    assert "postgresql" not in err


class _DriverError(Exception):
    """What SQLAlchemy's asyncpg adapter wraps: the server's text and its SQLSTATE."""

    def __init__(self, sqlstate: str, text: str) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


URL = "postgresql+asyncpg://cchc:s3cret-pw@db.example:5433/cchc"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            DBAPIError(
                None, None, _DriverError("28P01", 'password authentication failed for user "cchc"')
            ),
            "máy chủ từ chối kết nối: sai mật khẩu của người dùng «cchc». Kiểm tra mật khẩu "
            "trong DATABASE_URL.",
        ),
        (
            DBAPIError(
                None, None, _DriverError("28000", 'no pg_hba.conf entry for host "10.0.0.2"')
            ),
            "máy chủ từ chối kết nối: người dùng «cchc» không được phép kết nối tới cơ sở dữ "
            "liệu «cchc» từ máy này (xem pg_hba.conf trên máy chủ).",
        ),
        (
            DBAPIError(None, None, _DriverError("53300", "sorry, too many clients already")),
            "máy chủ từ chối kết nối: đã quá số kết nối cho phép. Thử lại sau.",
        ),
        (
            socket.gaierror(-2, "Name or service not known"),
            "không kết nối được: không tìm thấy máy chủ «db.example» (sai tên máy?). Kiểm tra "
            "DATABASE_URL.",
        ),
        (
            TimeoutError(),
            "không kết nối được tới máy chủ db.example:5433: máy chủ không trả lời (hết thời "
            "gian chờ). Kiểm tra DATABASE_URL, mạng và tường lửa.",
        ),
    ],
)
def test_database_reasons_name_the_cause(error: BaseException, reason: str) -> None:
    said = _database_reason(error, URL)
    assert said == reason
    assert "s3cret-pw" not in said
