"""Several criteria sets side by side: the default set never changes when a set is added,
`cchc-bot set list`, `cchc-bot ask --set`, and entries that say which sets they apply to."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.data import check_paths, load_data
from bot.settings import load_settings
from criteria.loader import (
    DEFAULT_SETS_DIR,
    load_catalogue,
    load_set,
    require_catalogue,
    resolve_default,
)
from knowledge.ask import build_set_index
from knowledge.loader import DEFAULT_ENTRIES_DIR, load_entries

DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "valid" / "mini-set.yaml"
HUYEN = DEFAULT_SETS_DIR / "huyen-2021.yaml"
# A criterion title only the later test set has: found in its index, never in the default one.
LATER_TITLE = "Kế hoạch chuyển đổi số của xã năm 2030"


def _later_set(directory: Path) -> Path:
    """A small valid set for communes with a later year than every shipped set."""
    text = MINI.read_text(encoding="utf-8")
    text = text.replace("id: mini-2021", "id: thu-2030").replace("level: huyen", "level: xa")
    text = text.replace("year: 2021", "year: 2030")
    text = text.replace("title: Ban hành KH CCHC năm đúng thời hạn", f"title: {LATER_TITLE}")
    path = directory / "thu-2030.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def two_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CRITERIA_DIR with the shipped district set and a later commune test set."""
    sets = tmp_path / "sets"
    shutil.copytree(DEFAULT_SETS_DIR, sets)
    _later_set(sets)
    monkeypatch.setenv("CRITERIA_DIR", str(sets))
    monkeypatch.delenv("DEFAULT_SET", raising=False)
    return sets


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the default set ---------------------------------------------------------------------------


def test_a_later_set_does_not_become_the_default(two_sets: Path) -> None:
    catalogue = require_catalogue(sorted(two_sets.glob("*.yaml")))
    assert set(catalogue.sets) == {"huyen-2021", "xa-2025", "thu-2030"}
    assert catalogue.current.id == "huyen-2021"
    data = load_data(load_settings())
    assert data.catalogue.current.id == "huyen-2021"
    index = data.index()
    assert index.search("tiêu chí 3.4.1").best.criterion_codes == ("3.4.1",)
    assert LATER_TITLE not in json.dumps(
        index.search(LATER_TITLE, top=5).to_json(), ensure_ascii=False
    )


def test_default_set_setting_chooses_and_an_unknown_one_is_refused(
    two_sets: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = sorted(two_sets.glob("*.yaml"))
    assert require_catalogue(paths, default_set="thu-2030").current.id == "thu-2030"
    catalogue, issues = load_catalogue(paths, default_set="xa-2099")
    assert catalogue is None
    assert [i.field for i in issues] == ["DEFAULT_SET"]
    assert "không có bộ tiêu chí mã «xa-2099»" in issues[0].message
    assert "huyen-2021 (cấp huyện, năm 2021)" in issues[0].message
    assert "thu-2030 (cấp xã, năm 2030)" in issues[0].message
    monkeypatch.setenv("DEFAULT_SET", "xa-2099")
    code, out, err = _run(monkeypatch, capsys, "ask", "tiêu chí 1.1")
    assert code == 2 and out == ""
    assert "DEFAULT_SET" in err and "xa-2099" in err and "thu-2030" in err
    code, _, err = _run(monkeypatch, capsys, "check")
    assert code == 2 and "xa-2099" in err


def test_the_only_set_is_the_default_and_several_without_huyen_need_a_choice(
    tmp_path: Path,
) -> None:
    later, _ = load_set(_later_set(tmp_path))
    mini, _ = load_set(MINI)
    assert later is not None and mini is not None
    assert resolve_default({later.id: later}, None) == ("thu-2030", "")
    found, why = resolve_default({mini.id: mini, later.id: later}, None)
    assert found is None
    assert "chưa chọn bộ mặc định: đặt DEFAULT_SET" in why
    assert "mini-2021 (cấp huyện, năm 2021)" in why and "thu-2030 (cấp xã, năm 2030)" in why
    assert resolve_default({mini.id: mini, later.id: later}, "mini-2021") == ("mini-2021", "")


def test_cli_ask_answers_exactly_as_before_with_a_later_set_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the district set and its entries alone. After: the shipped data (the commune
    set and its entries too) plus a later test set. The answers are the same, byte for byte."""
    questions = "tiêu chí 3.4.1\ntc 1.1.1\nkế hoạch CCHC năm\nty le ho so dung han\n"
    questions += "trung tâm phục vụ hành chính công xã\ntiêu chí 3.7\n"
    only = tmp_path / "only"
    (only / "sets").mkdir(parents=True)
    shutil.copy(HUYEN, only / "sets" / HUYEN.name)
    shutil.copytree(DEFAULT_ENTRIES_DIR, only / "entries")
    (only / "entries" / "xa-2025.yaml").unlink()
    monkeypatch.setenv("CRITERIA_DIR", str(only / "sets"))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(only / "entries"))
    monkeypatch.delenv("DEFAULT_SET", raising=False)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(questions.encode())))
    assert main(["ask", "-", "--json"]) == 0
    before = capsys.readouterr().out
    sets = tmp_path / "sets"
    shutil.copytree(DEFAULT_SETS_DIR, sets)
    _later_set(sets)
    monkeypatch.setenv("CRITERIA_DIR", str(sets))
    monkeypatch.delenv("KNOWLEDGE_DIR")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(questions.encode())))
    assert main(["ask", "-", "--json"]) == 0
    after = capsys.readouterr().out
    assert len(before.splitlines()) == 6
    assert after == before


# --- cchc-bot ask --set, set list ---------------------------------------------------------------


def test_ask_set_answers_on_that_sets_criteria(
    two_sets: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        monkeypatch, capsys, "ask", "tiêu chí 1.1.1", "--json", "--set", "thu-2030"
    )
    assert code == 0
    best = json.loads(out)["results"][0]
    assert best["entry_id"] == "criterion:1.1.1"
    assert LATER_TITLE in best["question"]
    # The district entries name 3.4.1, a code the test set does not have: they are left out.
    code, out, _ = _run(
        monkeypatch, capsys, "ask", "tiêu chí 3.4.1", "--json", "--set", "thu-2030"
    )
    assert code == 0
    assert all("3.4.1" not in r["criterion_codes"] for r in json.loads(out)["results"])
    code, out, _ = _run(monkeypatch, capsys, "ask", "tiêu chí 1.1.1", "--json")
    assert LATER_TITLE not in out


def test_ask_unknown_set_is_refused_in_vietnamese(
    two_sets: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(monkeypatch, capsys, "ask", "tiêu chí 1.1", "--set", "xa-2099")
    assert code == 2 and out == ""
    assert "không có bộ tiêu chí mã «xa-2099»" in err
    assert "huyen-2021" in err and "thu-2030" in err


def test_set_list(
    two_sets: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["unit", "add", "X01", "Xã Thử", "--kind", "xa"]) == 0
    capsys.readouterr()
    code, out, _ = _run(monkeypatch, capsys, "set", "list")
    assert code == 0
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert rows[0][:3] == ["mã", "cấp", "năm"]
    by_id = {row[0]: row for row in rows[1:]}
    huyen = require_catalogue([HUYEN]).sets["huyen-2021"]
    assert by_id["huyen-2021"][1:6] == [
        "huyện",
        "2021",
        f"{len(huyen.leaves())} (2 điều tra)",
        "mẫu",
        "0",
    ]
    assert by_id["huyen-2021"][6] == "mặc định"
    # The commune unit is assessed on the commune set in use (xa-2025, the level's earliest
    # until a later year is opened with `cchc-bot year open`), not on the later one.
    assert by_id["xa-2025"][5] == "1"
    assert by_id["thu-2030"][1:6] == ["xã", "2030", "6 (1 điều tra)", "mẫu", "0"]
    assert len(by_id["thu-2030"]) == 6  # not the default


# --- entries that apply to some sets ------------------------------------------------------------


def _entries_file(directory: Path, body: str) -> Path:
    path = directory / "entries.yaml"
    path.write_text(body, encoding="utf-8")
    return path


ENTRY = """\
- id: {id}
  question: {question}
  alternatives: [mot, hai]
  answer: Theo hướng dẫn của tỉnh.
  criteria: [{code}]
{sets}  source: thông lệ
"""


def test_entry_codes_are_checked_in_each_set_they_apply_to(tmp_path: Path) -> None:
    later = _later_set(tmp_path)
    by_set = require_catalogue([HUYEN, later]).codes_by_set()
    # 2.3 is in the test set only; 3.4.1 is in huyen-2021 only.
    body = (
        ENTRY.format(id="xa", question="Hỏi xã?", code='"2.3"', sets="  sets: [thu-2030]\n")
        + ENTRY.format(
            id="huyen", question="Hỏi huyện?", code="3.4.1", sets="  sets: [huyen-2021]\n"
        )
        + ENTRY.format(id="both", question="Hỏi chung?", code="1.1.1", sets="")
    )
    entries, issues = load_entries([_entries_file(tmp_path, body)], by_set)
    assert issues == []
    assert [e.id for e in entries] == ["xa", "huyen", "both"]
    # Without `sets:` an entry applies to every set, so its code must be in all of them.
    body = ENTRY.format(id="all", question="Hỏi?", code="3.4.1", sets="")
    _, issues = load_entries([_entries_file(tmp_path, body)], by_set)
    assert [(i.line, i.field) for i in issues] == [(5, "[0].criteria[0]")]
    assert "không có tiêu chí mã 3.4.1 trong bộ thu-2030" in issues[0].message
    assert "áp dụng cho mọi bộ" in issues[0].message


def test_check_reports_entries_against_their_sets(tmp_path: Path) -> None:
    later = _later_set(tmp_path)
    body = ENTRY.format(id="xa", question="Hỏi xã?", code="3.4.1", sets="  sets: [thu-2030]\n")
    path = _entries_file(tmp_path, body)
    issues, _ = check_paths([HUYEN, later, path], load_settings())
    assert [str(i) for i in issues] == [
        f"{path}:5: [0].criteria[0]: không có tiêu chí mã 3.4.1 trong bộ thu-2030"
    ]


def test_a_sets_index_has_its_criteria_and_the_entries_that_apply(tmp_path: Path) -> None:
    later = _later_set(tmp_path)
    catalogue = require_catalogue([HUYEN, later])
    body = ENTRY.format(
        id="xa-chuyen-doi-so",
        question="Xã chuyển đổi số thế nào?",
        code="1.1.1",
        sets="  sets: [thu-2030]\n",
    ) + ENTRY.format(
        id="huyen-chuyen-doi-so",
        question="Huyện chuyển đổi số thế nào?",
        code="1.1.1",
        sets="  sets: [huyen-2021]\n",
    )
    entries, issues = load_entries([_entries_file(tmp_path, body)], catalogue.codes_by_set())
    assert issues == []

    def ids(set_id: str | None) -> set[str]:
        found = build_set_index(catalogue, entries, set_id).search("chuyển đổi số thế nào", top=10)
        return {r.entry_id for r in found.results}

    assert "xa-chuyen-doi-so" in ids("thu-2030") and "huyen-chuyen-doi-so" not in ids("thu-2030")
    assert "huyen-chuyen-doi-so" in ids(None) and "xa-chuyen-doi-so" not in ids(None)


# --- the shipped commune sample set ----------------------------------------------------------


def test_the_commune_sample_set() -> None:
    catalogue = require_catalogue()
    xa = catalogue.sets["xa-2025"]
    assert (xa.level, xa.year, xa.sample) == ("xa", 2025, True)
    assert catalogue.current.id == "huyen-2021"  # shipped beside it, it is not the default
    leaves = xa.leaves()
    survey = [c for c in leaves if c.is_survey]
    assert len(leaves) == 60 and [c.code for c in survey] == ["8.1", "8.2"]
    assert xa.total == 100 and xa.self_scored_max == 70
    assert sum(c.max for c in survey) == 30
    assert "MẪU" in (xa.description or "") and "UBND tỉnh ban hành" in (xa.description or "")
    names = {d.code: d.name for d in xa.departments}
    assert names["VP"] == "Văn phòng HĐND và UBND"
    assert names["VHXH"] == "Phòng Văn hóa – Xã hội"
    assert names["TTPV"] == "Trung tâm Phục vụ hành chính công"
    assert names["KT"].startswith("Phòng Kinh tế")
    by_code = xa.by_code()
    one_stop = ["3.2.1", "3.2.2", "3.3.1", "3.3.2", "3.3.3", "3.4.1", "3.4.2", "3.4.3", "3.5.1"]
    one_stop += ["3.5.2", "3.7", "7.4.1", "7.4.2", "7.4.3"]
    assert {by_code[c].department for c in one_stop} == {"TTPV"}
    # The same code means a different criterion in each set.
    assert by_code["3.4.1"].max != catalogue.sets["huyen-2021"].by_code()["3.4.1"].max


def test_ask_set_xa_answers_for_commune_officers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CRITERIA_DIR", raising=False)
    monkeypatch.delenv("DEFAULT_SET", raising=False)
    question = "tỷ lệ hồ sơ đúng hạn của xã 97% được mấy điểm"
    code, out, _ = _run(monkeypatch, capsys, "ask", question, "--json", "--set", "xa-2025")
    assert code == 0
    doc = json.loads(out)
    assert doc["decision"] == "answer"
    assert doc["results"][0]["entry_id"] == "xa-3-4-1-dung-han"
    assert all(r["entry_id"].startswith(("xa-", "criterion:")) for r in doc["results"])
    code, out, _ = _run(monkeypatch, capsys, "ask", "tiêu chí 3.3.3", "--set", "xa-2025")
    assert code == 0 and "địa giới hành chính" in out
    # Without --set: the district set, as before.
    code, out, _ = _run(monkeypatch, capsys, "ask", question, "--json")
    assert all(not r["entry_id"].startswith("xa-") for r in json.loads(out)["results"])


def test_a_province_on_the_commune_set_alone_starts_with_the_shipped_lexicon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The shipped lexicon names words of both shipped sets; a deployment that loads only one
    # of them (or its own) is not refused for that.
    sets = tmp_path / "sets"
    sets.mkdir()
    shutil.copy(DEFAULT_SETS_DIR / "xa-2025.yaml", sets / "xa-2025.yaml")
    entries = tmp_path / "entries"
    entries.mkdir()
    shutil.copy(DEFAULT_ENTRIES_DIR / "xa-2025.yaml", entries / "xa-2025.yaml")
    monkeypatch.setenv("CRITERIA_DIR", str(sets))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(entries))
    monkeypatch.delenv("DEFAULT_SET", raising=False)
    assert main(["ask", "--json", "tiêu chí 3.4.1"]) == 0
    out = capsys.readouterr().out
    assert '"decision": "answer"' in out and "3.4.1" in out
