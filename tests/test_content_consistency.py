"""The knowledge entries agree with the criteria set: codes, points, thresholds, deductions.

What a checker can read in an answer is cross-checked against the set (the authority):

* every criterion code named in an answer exists in the set;
* "tối đa N điểm" said of a criterion, and "3.4.1 (2,5 điểm)", equal that criterion's max;
* "đạt X% được N điểm", "từ X% đến dưới Y% được N điểm", "dưới X% được N điểm" said of a
  criterion give, scored by criteria.scoring at X % (just below X for
  "dưới"), exactly N points — for ratio rules, tiers whose labels state a band, and the
  survey rule "tỷ lệ × max"; a sum of parts is not checked (its figures are totals);
* "mỗi … trừ N điểm" said of a criterion with a deductions rule equals its ``per``;
* rating bands ("Tốt từ 85%", "Yếu dưới 50%") start where the set's bands start;
* any "được N điểm" said of a criterion is a score its rule can give (a tier's points, yes/no,
  a threshold's points, full marks minus whole deductions, sums of the parts' scores).

A statement is attributed to the criterion named last before it in the same sentence, or to
the entry's only criterion when the sentence names none. The checker is run on the shipped
entries and, to show it can fail, on broken copies of them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from criteria.loader import require_catalogue
from criteria.schema import (
    CountRule,
    CriteriaSet,
    Criterion,
    DeductionRule,
    RatioRule,
    SumRule,
    SurveyRule,
    TiersRule,
    YesNoRule,
)
from criteria.scoring import RatioInput, ScoringInputError, score
from handlers.cards import describe_rule
from knowledge.ask import entries_for
from knowledge.figures import estimate
from knowledge.loader import DEFAULT_ENTRIES_DIR, entry_files, require_entries
from knowledge.schema import Entry

_NUM = r"\d+(?:,\d+)?"
# A criterion code as answers write it: 3.4, 3.4.1 (not 1.200, not 24.9.2021, not 61/2018).
CODE = re.compile(
    r"(?<![\d./,])(\d{1,2}(?:\.\d{1,2}){1,2})(?![\d/]|[.,]\d)|[Ll]ĩnh vực (\d{1,2})\b"
)
SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n")
MAX = re.compile(rf"[Tt]ối đa (?:là )?({_NUM}) điểm")
CODE_POINTS = re.compile(rf"(\d{{1,2}}(?:\.\d{{1,2}}){{1,2}}) \((?:tối đa )?({_NUM}) điểm\)")
BAND = re.compile(
    rf"(?:(từ|trên|dưới|chưa đạt|không đạt|đạt|là|đủ) )?({_NUM}) ?%"
    rf"(?: (?:đến|tới) dưới ({_NUM}) ?%)?(?: trở lên)?"
    rf"(?:[^.;%]{{0,60}}?)(?:,)? (?:thì )?được ({_NUM})(?: điểm|(?=[.;,](?!\d)|$))"
)
# "Tốt (từ 85%)", "Khá từ 70% đến dưới 85%", "Yếu dưới 50%": the set's rating bands.
RATING = re.compile(rf"(Tốt|Khá|Trung bình|Yếu) \(?(từ|dưới) ({_NUM}) ?%")
POINTS = re.compile(rf"được (?:đủ |tối đa |thêm )?({_NUM}) điểm(?! thưởng)")
PER = re.compile(rf"[Mm]ỗi [^.;]{{1,120}}? trừ ({_NUM}) điểm")


def _dec(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


@dataclass(frozen=True)
class Problem:
    entry: str
    code: str
    what: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.code}: {self.what}"


def _sentences(answer: str) -> list[str]:
    return [s for s in SENTENCE.split(" ".join(answer.split())) if s]


def _points_at(crit: Criterion, percent: Decimal) -> Decimal | None:
    """The points ``crit``'s rule gives at ``percent``, by the scoring engine; None if the
    rule is not one a percentage decides (a sum of parts, yes/no, counts...)."""
    rule = crit.rule
    if isinstance(rule, RatioRule):
        try:
            return score(crit, RatioInput(percent, Decimal(100))).points
        except ScoringInputError:
            return None
    if isinstance(rule, TiersRule):  # a tier whose label states the band
        found = estimate(f"đạt {percent} %", crit)
        return found.points if found is not None else None
    if isinstance(rule, SurveyRule) and f"× {crit.max}" in rule.method.replace(".", ","):
        return percent * crit.max / 100  # "điểm = tỷ lệ hài lòng (%) × 18"
    return None


def _leaf_scores(rule: object, maximum: Decimal) -> set[Decimal] | None:
    if isinstance(rule, YesNoRule):
        return {rule.if_yes, rule.if_no}
    if isinstance(rule, TiersRule):
        return {t.points for t in rule.tiers}
    if isinstance(rule, RatioRule | CountRule):
        found = {t.points for t in rule.thresholds} | {rule.below}
        if isinstance(rule, RatioRule) and rule.when_zero is not None:
            found.add(rule.when_zero)
        return found
    if isinstance(rule, DeductionRule):
        found = {Decimal(0)} if rule.zero_if else set()
        k = 0
        while (value := max(rule.floor, maximum - k * rule.per)) > rule.floor:
            found.add(value)
            k += 1
        return found | {rule.floor}
    return None


def achievable(node: Criterion) -> set[Decimal] | None:
    """Every score ``node``'s rule can give (full marks included); None if not enumerable."""
    rule = node.rule
    if isinstance(rule, SumRule):
        parts = [_leaf_scores(p.rule, p.max) for p in rule.parts]
        if any(p is None for p in parts):
            return None
        return {sum(c, Decimal(0)) for c in itertools.product(*parts)} | {node.max}  # type: ignore[arg-type]
    found = _leaf_scores(rule, node.max)
    return None if found is None else found | {node.max}


def check_entry(entry: Entry, cset: CriteriaSet) -> list[Problem]:
    """What in ``entry``'s answer contradicts ``cset`` (mechanically readable statements)."""
    nodes = cset.by_code()
    problems: list[Problem] = []
    only = entry.criteria[0] if len(entry.criteria) == 1 else None
    for sentence in _sentences(entry.answer):
        named = [(m.start(), m.group(1) or m.group(2)) for m in CODE.finditer(sentence)]
        for _, code in named:
            if code not in nodes:
                problems.append(Problem(entry.id, code, "mã không có trong bộ tiêu chí"))
        for m in CODE_POINTS.finditer(sentence):
            node = nodes.get(m.group(1))
            if node is not None and _dec(m.group(2)) != node.max:
                problems.append(
                    Problem(entry.id, node.code, f"nói {m.group(2)} điểm, tối đa là {node.max}")
                )

        def about(pos: int, named: list[tuple[int, str]] = named) -> Criterion | None:
            """The criterion named last before ``pos``, or the entry's only one."""
            before = [code for start, code in named if start < pos]
            code = before[-1] if before else (only if not named else None)
            return nodes.get(code) if code else None

        for m in MAX.finditer(sentence):
            node = about(m.start())
            if node is not None and _dec(m.group(1)) != node.max:
                problems.append(
                    Problem(entry.id, node.code, f"nói tối đa {m.group(1)}, bộ là {node.max}")
                )
        for m in BAND.finditer(sentence):
            node = about(m.start())
            if node is None:
                continue
            word, low, points = m.group(1), _dec(m.group(2)), _dec(m.group(4))
            at = low
            if word in ("dưới", "chưa đạt", "không đạt"):
                at = low - Decimal("0.01")
            elif word == "trên":
                at = low + Decimal("0.01")
            got = _points_at(node, at)
            if got is not None and got != points:
                problems.append(
                    Problem(
                        entry.id,
                        node.code,
                        f"«{m.group(0)}» nhưng quy tắc cho {got} điểm ở {at} %",
                    )
                )
        for m in RATING.finditer(sentence):
            # "Khá từ 70%": Khá starts at 70; "Yếu dưới 50%": the band above Yếu starts at 50.
            name, figure = m.group(1), _dec(m.group(3))
            names = [band.name for band in cset.rating]
            i = names.index(name)
            edge: Decimal | None = cset.rating[i].min
            if m.group(2) == "dưới":
                edge = cset.rating[i - 1].min if i > 0 else None
            if edge != figure:
                problems.append(
                    Problem(entry.id, "xếp loại", f"«{m.group(0)}» nhưng bộ: {edge} %")
                )
        for m in POINTS.finditer(sentence):
            node = about(m.start())
            scores = achievable(node) if node is not None else None
            if node is not None and scores is not None and _dec(m.group(1)) not in scores:
                shown = ", ".join(str(v) for v in sorted(scores))
                problems.append(
                    Problem(entry.id, node.code, f"«{m.group(0)}» không có trong {{{shown}}}")
                )
        for m in PER.finditer(sentence):
            node = about(m.start())
            if node is None or not isinstance(node.rule, DeductionRule):
                continue
            if _dec(m.group(1)) != node.rule.per:
                problems.append(
                    Problem(
                        entry.id, node.code, f"trừ {m.group(1)} mỗi lần, bộ là {node.rule.per}"
                    )
                )
    return problems


@pytest.fixture(scope="module")
def cset() -> CriteriaSet:
    return require_catalogue().sets["huyen-2021"]


def _load(paths: list[Path], cset: CriteriaSet) -> list[Entry]:
    """The entries of ``paths`` that apply to ``cset`` (codes checked in every set)."""
    entries = require_entries(paths, require_catalogue().codes_by_set())
    return entries_for(entries, cset.id)


@pytest.mark.parametrize("set_id", sorted(require_catalogue().sets))
def test_shipped_entries_agree_with_the_sets_they_apply_to(set_id: str) -> None:
    cset = require_catalogue().sets[set_id]
    entries = _load(entry_files(DEFAULT_ENTRIES_DIR), cset)
    assert entries, f"no entry applies to {set_id}"
    problems = [str(p) for e in entries for p in check_entry(e, cset)]
    assert problems == []


def test_the_commune_entries_are_checked_against_the_commune_set() -> None:
    """The commune entries say things the checker reads, and the commune set (not the district
    one) is what they agree with: 3.4.1 is worth 3,5 points there, 2,5 in huyen-2021."""
    catalogue = require_catalogue()
    entries = _load([DEFAULT_ENTRIES_DIR / "xa-2025.yaml"], catalogue.sets["xa-2025"])
    reads = sum(
        len(MAX.findall(s)) + len(BAND.findall(s)) + len(PER.findall(s))
        for e in entries
        for s in _sentences(e.answer)
    )
    assert reads >= 60
    dung_han = next(e for e in entries if e.id == "xa-3-4-1-dung-han")
    assert check_entry(dung_han, catalogue.sets["xa-2025"]) == []
    assert any("tối đa" in p.what for p in check_entry(dung_han, catalogue.sets["huyen-2021"]))


def test_the_checker_reads_enough_to_matter(cset: CriteriaSet) -> None:
    """Guard against a checker that passes because its patterns stopped matching."""
    entries = _load(entry_files(DEFAULT_ENTRIES_DIR), cset)
    counts = {"max": 0, "band": 0, "per": 0, "code": 0, "rating": 0, "points": 0}
    for e in entries:
        for s in _sentences(e.answer):
            counts["max"] += len(MAX.findall(s))
            counts["band"] += len(BAND.findall(s))
            counts["per"] += len(PER.findall(s))
            counts["rating"] += len(RATING.findall(s))
            counts["points"] += len(POINTS.findall(s))
            counts["code"] += len(list(CODE.finditer(s)))
    print(f"\nconsistency checks read: {counts}")
    assert counts["max"] >= 40 and counts["band"] >= 40
    assert counts["per"] >= 5 and counts["code"] >= 50 and counts["rating"] >= 4
    assert counts["points"] >= 100


def _broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    source = DEFAULT_ENTRIES_DIR / name
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {name}"
    copy = tmp_path / name
    copy.write_text(text.replace(old, new), encoding="utf-8")
    return copy


@pytest.mark.parametrize(
    ("name", "old", "new", "code", "what"),
    [
        # The denominator contradiction of 3.4.1, reintroduced as a wrong band.
        ("linh-vuc-3.yaml", "từ 98% đến dưới 100% được 2 điểm", "từ 97% đến dưới 100% được 2 điểm",
         "3.4.1", "quy tắc cho 1.5 điểm"),
        ("linh-vuc-3.yaml", "Tối đa 0,5 điểm: UBND huyện ban hành KH kiểm soát",
         "Tối đa 1 điểm: UBND huyện ban hành KH kiểm soát", "3.1.1", "tối đa 1"),
        ("linh-vuc-3.yaml", "TTHC năm 2021 được 0,5 điểm", "TTHC năm 2021 được 0,25 điểm",
         "3.1.1", "không có trong {0, 0.5}"),  # a yes/no rule
        ("linh-vuc-3.yaml", "0,5 điểm, thấp nhất 0 điểm", "0,25 điểm, thấp nhất 0 điểm",
         "3.2", "trừ 0,25"),
        ("linh-vuc-3.yaml", "(có thể dùng chung với TLKC của 3.4.1, 3.4.2)",
         "(có thể dùng chung với TLKC của 3.4.1, 3.4.9)", "3.4.9", "mã không có"),
        ("linh-vuc-1.yaml", "hoàn thành từ 80% được 0,5", "hoàn thành từ 80% được 1",
         "1.4", "quy tắc cho 0.5 điểm"),  # a tiers rule
        ("linh-vuc-4.yaml", "chưa đạt 100% và chỉ được 0,5 điểm", "chưa đạt 100% và được 1 điểm",
         "4.1.1", "quy tắc cho 0.5 điểm"),
        ("chung.yaml", "hài lòng 85% thì được 15,3 điểm", "hài lòng 85% thì được 15,5 điểm",
         "8.2", "15.3"),  # survey: tỷ lệ × 18
        ("chung.yaml", "Tốt từ 85% trở lên; Khá từ 70%", "Tốt từ 85% trở lên; Khá từ 75%",
         "xếp loại", "Khá từ 75%"),
        ("linh-vuc-5.yaml", "dưới 80% được 0. Tỷ lệ", "dưới 80% được 0,5. Tỷ lệ",
         "5.5", "quy tắc cho 0 điểm"),  # points without the word "điểm"
    ],
)  # fmt: skip
def test_a_broken_entry_is_reported(
    tmp_path: Path, cset: CriteriaSet, name: str, old: str, new: str, code: str, what: str
) -> None:
    path = _broken_copy(tmp_path, name, old, new)
    # An unknown code in the answer is not caught by the loader (it checks ``criteria:``).
    entries = require_entries([path], None)
    problems = [p for e in entries for p in check_entry(e, cset)]
    assert any(p.code == code and what in p.what for p in problems), [str(p) for p in problems]


def test_every_card_states_bands_that_exist(cset: CriteriaSet) -> None:
    """The criterion card's rule lines never show an empty band such as "100 % đến dưới 100 %"."""
    empty = re.compile(rf"\b({_NUM}) % đến dưới \1 %")
    lines = [
        f"{node.code}: {line}"
        for node in cset.walk()
        if node.rule is not None
        for line in describe_rule(node.rule)
        if empty.search(line)
    ]
    assert lines == []
    comparison = " | ".join(describe_rule(cset.by_code()["8.3.3"].rule))
    assert "bằng 100 % (Bằng năm trước): 1 điểm" in comparison
