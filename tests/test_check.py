"""`cchc-bot check`: the shipped data passes; each broken file is reported at its line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.data import check_paths
from bot.settings import load_settings

DATA = Path(__file__).resolve().parent / "data"
BROKEN = DATA / "broken"
MINI = DATA / "valid" / "mini-set.yaml"

# file → (field fragment, message fragment); the line is the one marked "# <- broken".
CASES = {
    "duplicate-code.yaml": ("children[1].code", "bị trùng"),
    "child-code.yaml": ("children[1].code", "không nối tiếp mã cha 1.1"),
    "maxima.yaml": ("areas[0].children[0].max", "tổng các tiêu chí con là 3"),
    "tier-above-max.yaml": ("rule.tiers[0].points", "vượt điểm tối đa 1"),
    "threshold-above-max.yaml": ("rule.thresholds[0].points", "vượt điểm tối đa 2"),
    "threshold-order.yaml": ("rule.thresholds[1].min", "giảm dần"),
    "wrong-type.yaml": ("children[0].max", "phải là một số"),
    "unknown-field.yaml": ("departmnet", "không được phép"),
    "syntax.yaml": ("", "lỗi cú pháp YAML"),
    "unknown-criterion-entries.yaml": ("[1].criteria[0]", "không có tiêu chí mã 9.9.9"),
    "entry-unknown-set.yaml": ("[0].sets[1]", "không có bộ tiêu chí mã xa-2099"),
    "entry-code-not-in-set.yaml": ("[1].criteria[0]", "mã 3.3 trong bộ mini-2021"),
    "routing-unknown-department.yaml": ("routes[0].department", "STP"),
    "duplicate-key-entries.yaml": ("[0].answer", "lặp lại"),
    "lexicon-means-unknown.yaml": ("synonyms[1].means", "xyzabc"),
    "lexicon-say-twice.yaml": ("synonyms[1].say[0]", "với nghĩa khác"),
    "lexicon-unless-own-word.yaml": ("synonyms[0].unless[1]", "chính từ của nhóm"),
    "lexicon-off-topic-synonym.yaml": ("out_of_scope[0].words[0]", "từ đồng nghĩa"),
    "lexicon-ask-both-ways.yaml": ("out_of_scope_asks[1]", "cách hỏi trong phạm vi"),
    "lexicon-fact-ask-twice.yaml": ("fact_asks[1]", "đã có ở out_of_scope_asks"),
    "lexicon-refused-ask-twice.yaml": ("refused_asks[1]", "đã có ở fact_asks"),
    "lexicon-subject-twice.yaml": ("other_subjects[0].words[1]", "đã có ở out_of_scope"),
    "lexicon-subject-synonym.yaml": ("other_subjects[0].words[0]", "từ đồng nghĩa"),
    "veto-threshold.yaml": ("threshold", "không hợp lệ"),
}


def _marked_line(path: Path) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.rstrip().endswith("# <- broken"):
            return number
    raise AssertionError(f"{path} has no '# <- broken' marker")


def test_corpus_is_complete() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(CASES)


def test_shipped_data_is_valid() -> None:
    issues, count = check_paths([], load_settings())
    assert issues == []
    assert count >= 3


def test_mini_set_is_valid() -> None:
    issues, _ = check_paths([MINI], load_settings())
    assert issues == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_broken_file_is_located(name: str) -> None:
    path = BROKEN / name
    field, message = CASES[name]
    # Entries and routing are checked against the mini set's codes.
    issues, _ = check_paths([path, MINI], load_settings())
    mine = [i for i in issues if i.path == path]
    assert mine, f"no issue reported for {name}"
    line = _marked_line(path)
    matching = [i for i in mine if field in i.field and message in i.message]
    assert matching, [str(i) for i in mine]
    # A syntax error is noticed by the parser at the next token, possibly a line later.
    allowed = {line, line + 1} if name == "syntax.yaml" else {line}
    assert matching[0].line in allowed, str(matching[0])
    assert all(i.path != MINI for i in issues), "the valid file must stay valid"


def test_cli_exit_codes() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert "Dữ liệu hợp lệ" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(BROKEN), str(MINI)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    for name in CASES:
        path = BROKEN / name
        assert f"{path}:" in bad.stderr, name
    assert f"tests/data/broken/wrong-type.yaml:{_marked_line(BROKEN / 'wrong-type.yaml')}: " in (
        bad.stderr
    )
