"""`cchc-bot ask` for scripts: UTF-8 JSON with the question, one line per input line, --top."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from bot.cli import main


def _ask(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
    code = main(["ask", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_includes_the_question_and_keeps_vietnamese_letters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _ask(monkeypatch, capsys, "tiêu chí 3.4.3", "--json")
    assert code == 0
    assert "\\u" not in out
    doc = json.loads(out)
    assert doc["question"] == "tiêu chí 3.4.3"
    assert doc["decision"] == "answer"
    assert doc["results"][0]["criterion_codes"] == ["3.4.3"]
    assert "xin lỗi" in out.lower()


def test_stdin_gives_exactly_one_json_line_per_input_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["tiêu chí 6.5", "", "   ", "giá xăng hôm nay", "tc 3.4.1"]
    code, out, _ = _ask(monkeypatch, capsys, "-", "--json", "--top", "2", stdin="\n".join(lines))
    assert code == 0
    docs = [json.loads(row) for row in out.splitlines()]
    assert len(docs) == len(lines)
    assert [d["question"] for d in docs] == [line.strip() for line in lines]
    assert docs[0]["results"][0]["entry_id"] == "criterion:6.5"
    assert len(docs[0]["results"]) <= 2
    for blank in docs[1:3]:
        assert blank == {
            "question": "",
            "decision": "none",
            "empty": True,
            "results": [],
            "estimate": None,
        }
    assert docs[3]["decision"] == "none" and "empty" not in docs[3]
    assert docs[4]["results"][0]["criterion_codes"] == ["3.4.1"]


@pytest.mark.parametrize("top", ["0", "-1", "ba"])
def test_top_below_one_is_refused_in_vietnamese(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], top: str
) -> None:
    code, out, err = _ask(monkeypatch, capsys, "tiêu chí 6.5", "--json", "--top", top)
    assert code == 2
    assert out == ""
    assert "--top phải là một số nguyên từ 1 trở lên" in err


def test_output_is_utf8_even_under_an_ascii_locale() -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    env.pop("PYTHONUTF8", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "-", "--json"],
        input="phiếu xin lỗi\n\n".encode(),
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    rows = done.stdout.decode("utf-8").splitlines()
    assert len(rows) == 2
    assert json.loads(rows[0])["question"] == "phiếu xin lỗi"
    assert "phiếu xin lỗi" in rows[0]
    assert json.loads(rows[1])["empty"] is True


def test_json_and_text_carry_the_estimate_from_figures_in_the_question(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "tc 3.4.1 bên em 45/50 hồ sơ đúng hạn thì được mấy điểm"
    code, out, _ = _ask(monkeypatch, capsys, question, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["estimate"] == {
        "criterion_code": "3.4.1",
        "part": None,
        "points": 1.0,
        "max": 2.5,
        "text": (
            "Ước tính: 45/50 số hồ sơ giải quyết trước hạn và đúng hạn = 90 % → mức 90–<95 % "
            "→ 1/2,5 điểm theo tiêu chí thành phần 3.4.1 (cần xác nhận khi tự chấm)."
        ),
    }
    code, text, _ = _ask(monkeypatch, capsys, question)
    assert code == 0
    assert doc["estimate"]["text"] in text.splitlines()
    _, plain, _ = _ask(monkeypatch, capsys, "tc 3.4.1", "--json")
    assert json.loads(plain)["estimate"] is None
