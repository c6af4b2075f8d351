"""Data files that cannot hurt: alias bombs, deep nesting and huge files are refused with
path:line and exit 2, by `cchc-bot check` and at bot start, without exhausting the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from criteria.yamlsource import read_yaml
from tests.e2e import REPO, TOKEN

# 396 bytes: each line aliases the previous one nine times (9^9 "lol"s once expanded).
BILLION_LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)
# Beyond the size limit (1 MB); real data files are ~50 KB.
BIG = 2 * 1024 * 1024
# The line where the aliases first add up to more than the budget: e (5) repeats d nine times.
BOMB_LINE = 5


def _deep_list(depth: int = 10_000) -> str:
    return "- " * depth + "x\n"


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _limited() -> None:
    # A hostile file must not be able to take the machine down if a limit ever regresses.
    limit = 1024 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        preexec_fn=_limited,
    )


def test_alias_bomb_is_refused_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bomb.yaml", BILLION_LAUGHS)
    doc = read_yaml(path)
    assert doc.data is None
    (issue,) = doc.issues
    assert issue.line == BOMB_LINE
    assert "bí danh" in issue.message


def test_few_small_aliases_still_work(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.yaml", "a: &x [1, 2]\nb: *x\nc:\n  d: *x\n")
    doc = read_yaml(path)
    assert doc.issues == []
    assert doc.data == {"a": [1, 2], "b": [1, 2], "c": {"d": [1, 2]}}
    assert doc.line_of(("c", "d", 1)) == 4
    assert doc.line_of(("b", 0)) == 2


def test_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "cycle.yaml", "a: &a\n  - 1\n  - *a\n")
    (issue,) = read_yaml(path).issues
    assert (issue.line, "tự tham chiếu" in issue.message) == (3, True)


def test_deep_nesting_is_refused_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "deep.yaml", "title: x\nareas:\n  " + _deep_list())
    doc = read_yaml(path)
    assert doc.data is None
    (issue,) = doc.issues
    assert issue.line == 3
    assert "lồng nhau quá sâu" in issue.message


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.yaml", "- " + "a" * BIG + "\n")
    doc = read_yaml(path)
    assert doc.data is None
    (issue,) = doc.issues
    assert issue.line == 1
    assert "tệp quá lớn" in issue.message


def test_check_exits_2_with_path_and_line(tmp_path: Path) -> None:
    bomb = _write(tmp_path, "bomb.yaml", BILLION_LAUGHS)
    deep = _write(tmp_path, "deep.yaml", _deep_list())
    big = _write(tmp_path, "big.yaml", "- " + "a" * BIG + "\n")
    result = _bot("check", str(bomb), str(deep), str(big))
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{bomb}:{BOMB_LINE}: " in result.stderr
    assert f"{deep}:1: " in result.stderr
    assert f"{big}:1: " in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "name", "text", "line"),
    [
        ("KNOWLEDGE_DIR", "bomb.yaml", BILLION_LAUGHS, BOMB_LINE),
        ("CRITERIA_DIR", "deep.yaml", _deep_list(), 1),
    ],
)
def test_bot_refuses_to_start_on_a_hostile_file(
    tmp_path: Path, variable: str, name: str, text: str, line: int
) -> None:
    path = _write(tmp_path / "data", name, text)
    result = _bot(
        "run",
        env={
            "BOT_TOKEN": TOKEN,
            variable: str(path.parent),
            "DATA_DIR": str(tmp_path),
            # Never reached: the data is checked before any network.
            "TELEGRAM_API_URL": "http://127.0.0.1:9",
        },
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{path}:{line}: " in result.stderr
    assert "bot không khởi động" in result.stderr
    assert "Traceback" not in result.stderr
