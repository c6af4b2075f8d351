"""Data files beyond what the bot can use are refused by `cchc-bot check` (and at bot start)
with path:line and the field, never a traceback: reminder offsets without a date, impossible
unquoted dates, codes too long for Telegram's button data, blank or control-character Sở
names, oversized free text, missing data folders, FIFOs; and typed 4-digit years are taken
literally."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.data import check_paths
from bot.settings import load_settings
from criteria.calendar import (
    CalendarInputError,
    due_offset,
    parse_date,
    reminder_at,
    schedule,
)
from criteria.errors import DataIssue
from criteria.loader import DEFAULT_ROUTING, DEFAULT_SETS_DIR, load_routing, load_set
from criteria.schema import MAX_CODE_LENGTH, MAX_DEPARTMENT_CODE_LENGTH
from criteria.yamlsource import read_yaml
from knowledge.lexicon import load_lexicon
from knowledge.loader import DEFAULT_ENTRIES_DIR, entry_files, load_entries
from tests.e2e import REPO

SET = DEFAULT_SETS_DIR / "huyen-2021.yaml"
ENTRIES = DEFAULT_ENTRIES_DIR / "chung.yaml"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _copy(source: Path, target: Path, old: str, new: str) -> tuple[Path, int]:
    """``source`` copied to ``target`` with its first ``old`` replaced by ``new``; returns the
    copy and the line where ``new`` starts."""
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    at = text.index(old)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return target, text[:at].count("\n") + 1


def _only(issues: list[DataIssue], path: Path) -> DataIssue:
    mine = [i for i in issues if i.path == path]
    assert len(mine) == 1, [str(i) for i in issues]
    return mine[0]


def _bot_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**clean, **env},
    )


# 1. Reminder offsets -------------------------------------------------------------------------


def test_huge_set_level_reminder_is_refused_at_its_line(tmp_path: Path) -> None:
    path, line = _copy(
        SET, tmp_path / "s.yaml", "reminders: [7, 3, 1, 0]", "reminders: [7, 3, 1, 0, 1000000]"
    )
    cset, issues = load_set(path)
    assert cset is None
    issue = _only(issues, path)
    assert (issue.line, issue.field) == (line, "reminders[4]")
    assert "từ 0 đến 366" in issue.message


def test_step_reminders_beyond_a_year_or_negative_are_refused(tmp_path: Path) -> None:
    path, line = _copy(
        SET,
        tmp_path / "s.yaml",
        "    end: 2021-11-15\n",
        "    end: 2021-11-15\n    reminders: [367, -1, 366, 0]\n",
    )
    cset, issues = load_set(path)
    assert cset is None
    found = sorted((i.line, i.field, i.message) for i in issues)
    assert [(ln, field) for ln, field, _ in found] == [
        (line + 1, "calendar[0].reminders[0]"),
        (line + 1, "calendar[0].reminders[1]"),
    ]
    assert "366" in found[0][2] and "âm" in found[1][2]


def test_reminder_days_must_be_whole_numbers(tmp_path: Path) -> None:
    path, line = _copy(
        SET, tmp_path / "s.yaml", "reminders: [7, 3, 1, 0]", "reminders: [7, 1.5, true]"
    )
    _, issues = load_set(path)
    assert {(i.line, i.field) for i in issues} == {
        (line, "reminders[1]"),
        (line, "reminders[2]"),
    }
    assert all("số nguyên" in i.message for i in issues)


def test_reminder_at_never_overflows() -> None:
    end = date(2021, 11, 15)
    assert reminder_at(end, 1_000_000, TZ, 8) is None
    assert reminder_at(end, 10**20, TZ, 8) is None
    assert reminder_at(date(1, 1, 2), 1, TZ, 8) == datetime(1, 1, 1, 8, tzinfo=TZ)
    # An impossible offset is skipped; the others still go out.
    offsets = (7, 3, 1, 0, 1_000_000)
    assert schedule(end, offsets, TZ, 8) == [
        datetime(2021, 11, d, 8, tzinfo=TZ) for d in (8, 12, 14, 15)
    ]
    now = datetime(2021, 11, 12, 9, tzinfo=TZ)
    assert due_offset(end, offsets, now, TZ, 8) == 3


# 2. Impossible unquoted dates ------------------------------------------------------------------


def test_impossible_date_in_a_set_is_a_located_issue(tmp_path: Path) -> None:
    path, line = _copy(SET, tmp_path / "s.yaml", "start: 2021-11-05", "start: 2021-02-29")
    cset, issues = load_set(path)
    assert cset is None
    issue = _only(issues, path)
    assert (issue.line, issue.field) == (line, "calendar[0].start")
    assert "2021-02-29" in issue.message and "không có thật" in issue.message


def test_impossible_date_in_an_entry_and_in_a_lexicon(tmp_path: Path) -> None:
    entry, line = _copy(
        ENTRIES,
        tmp_path / "kb" / "chung.yaml",
        "  sets: [huyen-2021]\n",
        "  sets: [huyen-2021]\n  source: 2021-02-29\n",
    )
    _, issues = load_entries([entry], None)
    assert any(
        (i.line, i.field) == (line + 1, "[0].source") and "2021-02-29" in i.message for i in issues
    ), [str(i) for i in issues]
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text("synonyms:\n  - means: a\n    say: [b, 2021-02-30]\n", encoding="utf-8")
    found, lexicon_issues = load_lexicon(lexicon, set())
    assert found is None
    issue = _only(lexicon_issues, lexicon)
    assert (issue.line, issue.field) == (3, "synonyms[0].say[1]")
    # Other values PyYAML cannot construct are refused the same way, at their line.
    odd = tmp_path / "odd.yaml"
    odd.write_text("a: 1\nb: !!int abc\nc: 2021-13-01\n", encoding="utf-8")
    assert sorted((i.line, i.field) for i in read_yaml(odd).issues) == [(2, "b")]


def test_cli_reports_an_impossible_date_with_exit_2(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    path, line = _copy(SET, sets / "huyen-2021.yaml", "start: 2021-11-05", "start: 2021-02-29")
    shutil.copy(DEFAULT_SETS_DIR / "xa-2025.yaml", sets / "xa-2025.yaml")
    done = _bot_check({"CRITERIA_DIR": str(sets)})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{path}:{line}: calendar[0].start: ngày «2021-02-29»" in done.stderr


# 3. Codes that must fit in button data, names, free text ---------------------------------------


def test_callback_data_fit_with_the_longest_codes() -> None:
    from handlers.callbacks import CoordCb, ExtraCb, MoveCb, ScoreCb

    code = "1." * (MAX_CODE_LENGTH // 2 - 1) + "12"
    dept = "S" * MAX_DEPARTMENT_CODE_LENGTH
    assert (len(code), len(dept)) == (MAX_CODE_LENGTH, MAX_DEPARTMENT_CODE_LENGTH)
    big = 9_999_999_999
    for data in (
        ScoreCb(action="pick", aid=big, code=code, part=99, value=9999),
        CoordCb(action="lky", unit=big, dep=dept, code=code, y=2100),
        ExtraCb(action="set", unit=big, kind="survey", code=code, value=9999),
        MoveCb(id=big * 100, dept=dept),
    ):
        assert len(data.pack().encode()) <= 64, data.pack()


def test_long_criterion_code_is_refused(tmp_path: Path) -> None:
    long_code = "1.1." + "2" * (MAX_CODE_LENGTH - 3)
    path, line = _copy(SET, tmp_path / "s.yaml", "- code: 1.1.2\n", f"- code: {long_code}\n")
    _, issues = load_set(path)
    matching = [i for i in issues if i.field.endswith(".code") and "tối đa 16" in i.message]
    assert [i.line for i in matching] == [line], [str(i) for i in issues]


def test_set_department_code_too_long_is_refused(tmp_path: Path) -> None:
    text = SET.read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("NV", "N" * 17), encoding="utf-8")
    _, issues = load_set(path)
    assert any(i.field.startswith("departments[") and "tối đa 16" in i.message for i in issues), [
        str(i) for i in issues
    ]


@pytest.mark.parametrize(
    ("new", "field", "message"),
    [
        ("{code: S" + "X" * 16 + ", name: Sở Tư pháp}", "departments[1].code", "tối đa 16"),
        ("{code: STP, name: '   '}", "departments[1].name", "không được để trống"),
        ('{code: STP, name: "Sở\\tTư pháp"}', "departments[1].name", "ký tự điều khiển"),
        ('{code: STP, name: "Sở\\u001bTư"}', "departments[1].name", "ký tự điều khiển"),
        ("{code: STP, name: " + "Sở " * 100 + "}", "departments[1].name", "tối đa 200"),
    ],
    ids=["long-code", "blank-name", "tab-in-name", "escape-in-name", "long-name"],
)
def test_routing_department_limits(tmp_path: Path, new: str, field: str, message: str) -> None:
    path, line = _copy(
        DEFAULT_ROUTING, tmp_path / "routing.yaml", "{code: STP, name: Sở Tư pháp}", new
    )
    routing, issues = load_routing(path)
    assert routing is None
    found = [(i.line, i.field) for i in issues if message in i.message]
    assert found == [(line, field)], [str(i) for i in issues]


def test_free_text_limits(tmp_path: Path) -> None:
    title = "Ban hành Kế hoạch CCHC năm 2021 đúng thời hạn theo hướng dẫn của tỉnh"
    path, title_line = _copy(SET, tmp_path / "t.yaml", title, "x" * 501)
    _, issues = load_set(path)
    assert [(i.line, i.field) for i in issues] == [
        (title_line, "areas[0].children[0].children[0].title")
    ]
    assert "501 ký tự, tối đa 500" in issues[0].message

    path, tier_line = _copy(SET, tmp_path / "l.yaml", "Không ban hành", "y" * 501)
    _, issues = load_set(path)
    assert [(i.line, i.field) for i in issues] == [
        (tier_line, "areas[0].children[0].children[0].rule.tiers[2].label")
    ]

    tiers = "".join(f'                - {{label: "m{n}", points: 0}}\n' for n in range(49))
    path, line = _copy(
        SET,
        tmp_path / "n.yaml",
        '                - {label: "Không ban hành", points: 0}\n',
        tiers,
    )
    _, issues = load_set(path)
    assert [(i.field, i.message) for i in issues] == [
        (
            "areas[0].children[0].children[0].rule.tiers",
            "danh sách quá dài: 51 phần tử, tối đa 50 phần tử",
        )
    ]

    long_answer = "  answer: >-\n    " + "a" * 20_001 + "\n"
    entry, line = _copy(ENTRIES, tmp_path / "kb" / "chung.yaml", "  answer: >-\n", long_answer)
    text = entry.read_text(encoding="utf-8")
    # The first entry's folded answer: the long line, then the shipped text.
    assert text.count("a" * 20_001) == 1
    _, issues = load_entries([entry], None)
    assert [(i.line, i.field) for i in issues] == [(line, "[0].answer")]
    assert issues[0].message.endswith("ký tự, tối đa 20.000 ký tự")


# 4. Data folders without files -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_knowledge_folder_without_entries_is_an_issue(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "kb"
    if kind == "file":
        folder.write_text("x: 1\n", encoding="utf-8")
    elif kind == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("x\n", encoding="utf-8")
    issues, _ = check_paths([], load_settings(knowledge_dir=folder))
    issue = _only(issues, folder)
    assert "không tìm thấy tệp hỏi đáp nào" in issue.message
    with pytest.raises(Exception) as raised:
        from knowledge.loader import require_entries

        require_entries(entry_files(folder))
    assert str(folder) in str(raised.value)


def test_criteria_folder_message_names_the_given_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    issues, _ = check_paths([], load_settings(criteria_dir=folder))
    issue = _only(issues, folder)
    assert "không tìm thấy bộ tiêu chí nào" in issue.message
    assert all(i.path != DEFAULT_SETS_DIR for i in issues)


def test_cli_refuses_a_missing_knowledge_folder() -> None:
    done = _bot_check({"KNOWLEDGE_DIR": "/nonexistent-cchc-knowledge"})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "/nonexistent-cchc-knowledge:0: -: không tìm thấy tệp hỏi đáp nào" in done.stderr
    assert "Dữ liệu hợp lệ" not in done.stdout


# 5. Paths that are not regular files -------------------------------------------------------


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "routing.yaml"
    os.mkfifo(fifo)
    result: list[list[DataIssue]] = []
    worker = threading.Thread(target=lambda: result.append(load_routing(fifo)[1]), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # release the blocked open before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    (issue,) = result[0]
    assert issue.path == fifo and "không phải tệp thông thường" in issue.message
    issues, _ = check_paths([], load_settings(routing_file=fifo))
    assert _only(issues, fifo).message == issue.message


def test_directory_given_as_a_file_is_refused(tmp_path: Path) -> None:
    (issue,) = read_yaml(tmp_path).issues
    assert "không phải tệp thông thường" in issue.message


# 6. Typed dates: a 4-digit year is taken as written ---------------------------------------------


@pytest.mark.parametrize("text", ["01/01/0001", "01/01/0025", "1/1/0099", "15/11/1999"])
def test_four_digit_years_below_2000_are_refused(text: str) -> None:
    with pytest.raises(CalendarInputError, match="2000–2100"):
        parse_date(text)


def test_two_digit_years_are_this_century() -> None:
    assert parse_date("15/11/21") == date(2021, 11, 15)
    assert parse_date("01/01/2025") == date(2025, 1, 1)


def test_control_characters_in_a_title_are_refused(tmp_path: Path) -> None:
    title = "Ban hành Kế hoạch CCHC năm 2021 đúng thời hạn theo hướng dẫn của tỉnh"
    path, line = _copy(SET, tmp_path / "t.yaml", title, '"A\\x00B\\x1bC"')
    _, issues = load_set(path)
    assert [(i.line, i.field) for i in issues] == [
        (line, "areas[0].children[0].children[0].title")
    ]
    assert "ký tự điều khiển" in issues[0].message


def test_a_folder_named_like_a_data_file_is_an_issue_and_upper_case_files_are_read(
    tmp_path: Path,
) -> None:
    # A folder "zz.yaml" or a file "BO.YAML" was skipped without a word: the operator's file
    # was not loaded and `check` said the data was valid.
    folder = tmp_path / "kb"
    folder.mkdir()
    shutil.copy(ENTRIES, folder / "CHUNG.YAML")
    (folder / "zz.yaml").mkdir()
    issues, _ = check_paths([], load_settings(knowledge_dir=folder))
    issue = _only(issues, folder / "zz.yaml")
    assert "không phải tệp thông thường" in issue.message
    assert [p.name for p in entry_files(folder)] == ["CHUNG.YAML", "zz.yaml"]
    entries, entry_issues = load_entries([folder / "CHUNG.YAML"])
    assert entries and not entry_issues


def test_a_set_id_longer_than_its_database_column_is_refused(tmp_path: Path) -> None:
    long_id = "huyen-" + "x" * 70
    path, line = _copy(SET, tmp_path / "sets" / "long.yaml", "id: huyen-2021", f"id: {long_id}")
    issue = _only(load_set(path)[1], path)
    assert issue.line == line and issue.field == "id"
