"""Every self-scored leaf of the sample set huyen-2021, scored at each tier and threshold edge.

Expected points are literals copied from /work/shared/reference/criteria-huyen-2021.md, never
computed by the engine: if the YAML or the engine drifts from the reference, these fail.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet, RatioRule, SumRule, TiersRule
from criteria.scoring import (
    CountInput,
    DeductionInput,
    NotApplicableInput,
    RatioInput,
    RawInput,
    ScoreResult,
    ScoringInputError,
    SumInput,
    TierInput,
    YesNoInput,
    rating_band,
    score,
    summarise,
)

D = Decimal


def R(numerator: int | str, denominator: int | str) -> RatioInput:
    return RatioInput(D(numerator), D(denominator))


YES, NO = YesNoInput(True), YesNoInput(False)


@pytest.fixture(scope="module")
def huyen() -> CriteriaSet:
    return require_catalogue().sets["huyen-2021"]


# (code, answer, expected points) — from the reference table, area by area.
CASES: list[tuple[str, RawInput, str]] = [
    # Area 1
    ("1.1.1", TierInput(0), "1"),  # on time
    ("1.1.1", TierInput(1), "0.5"),  # late
    ("1.1.1", TierInput(2), "0"),  # not issued
    ("1.1.2", R(100, 100), "2"),
    ("1.1.2", R(99, 100), "1"),
    ("1.1.2", R(80, 100), "1"),
    ("1.1.2", R(7999, 10000), "0"),
    ("1.1.2", R(0, 10), "0"),
    ("1.2", DeductionInput(0), "1"),
    ("1.2", DeductionInput(1), "0.75"),
    ("1.2", DeductionInput(2), "0.5"),
    ("1.2", DeductionInput(3), "0.25"),
    ("1.2", DeductionInput(4), "0"),
    ("1.2", DeductionInput(0, zero=True), "0"),  # a missing report
    ("1.3.1", R(100, 100), "1"),
    ("1.3.1", R(30, 100), "1"),
    ("1.3.1", R(2999, 10000), "0.5"),
    ("1.3.1", R(1, 100), "0.5"),
    ("1.3.1", R(0, 25), "0"),  # no inspection
    ("1.3.2", R(5, 5), "1"),
    ("1.3.2", R(4, 5), "0.5"),
    ("1.3.2", R(99, 100), "0.5"),
    ("1.3.2", R(1, 100), "0.5"),
    ("1.3.2", R(0, 5), "0"),
    ("1.3.2", R(0, 0), "1"),  # no issues found
    ("1.4", TierInput(0), "1"),
    ("1.4", TierInput(1), "0.5"),
    ("1.4", TierInput(2), "0"),
    ("1.5", TierInput(0), "1"),
    ("1.5", TierInput(1), "0.5"),
    ("1.5", TierInput(2), "0"),
    ("1.6", DeductionInput(0), "2"),
    ("1.6", DeductionInput(1), "1.75"),
    ("1.6", DeductionInput(3), "1.25"),
    ("1.6", DeductionInput(7), "0.25"),
    ("1.6", DeductionInput(8), "0"),
    ("1.6", DeductionInput(9), "0"),
    # Area 2
    ("2.1", YES, "1"),
    ("2.1", NO, "0"),
    ("2.2.1", YES, "0.5"),
    ("2.2.1", NO, "0"),
    ("2.2.2", R(10, 10), "1"),
    ("2.2.2", R(9, 10), "0.5"),
    ("2.2.2", R(99, 100), "0.5"),
    ("2.2.2", R(0, 10), "0"),
    ("2.3", R(3, 3), "1"),
    ("2.3", R(2, 3), "0"),
    ("2.3", R(99, 100), "0"),
    ("2.3", R(0, 0), "1"),  # none found
    ("2.4", TierInput(0), "1"),
    ("2.4", TierInput(1), "0.5"),
    ("2.4", TierInput(2), "0"),
    ("2.5", SumInput((YES, R(100, 100))), "1.5"),
    ("2.5", SumInput((YES, R(90, 100))), "1.5"),
    ("2.5", SumInput((YES, R(8999, 10000))), "1"),
    ("2.5", SumInput((YES, R(70, 100))), "1"),
    ("2.5", SumInput((YES, R(6999, 10000))), "0.5"),
    ("2.5", SumInput((NO, R(90, 100))), "1"),
    ("2.5", SumInput((NO, R(70, 100))), "0.5"),
    ("2.5", SumInput((NO, R(0, 10))), "0"),
    # Area 3
    ("3.1.1", YES, "0.5"),
    ("3.1.1", NO, "0"),
    ("3.1.2", CountInput(1), "0.5"),
    ("3.1.2", CountInput(3), "0.5"),
    ("3.1.2", CountInput(0), "0"),
    ("3.1.3", R(100, 100), "1"),
    ("3.1.3", R(99, 100), "0.5"),
    ("3.1.3", R(80, 100), "0.5"),
    ("3.1.3", R(7999, 10000), "0"),
    ("3.2", DeductionInput(0), "2"),
    ("3.2", DeductionInput(1), "1.5"),
    ("3.2", DeductionInput(3), "0.5"),
    ("3.2", DeductionInput(4), "0"),
    ("3.2", DeductionInput(5), "0"),
    ("3.3.1", YES, "1"),
    ("3.3.1", NO, "0"),
    ("3.3.2", R(100, 100), "1"),
    ("3.3.2", R(99, 100), "0.5"),
    ("3.3.2", R(90, 100), "0.5"),
    ("3.3.2", R(8999, 10000), "0"),
    ("3.3.3", R(100, 100), "1"),
    ("3.3.3", R(50, 100), "1"),
    ("3.3.3", R(4999, 10000), "0.5"),
    ("3.3.3", R(30, 100), "0.5"),
    ("3.3.3", R(2999, 10000), "0"),
    ("3.4.1", R(100, 100), "2.5"),
    ("3.4.1", R(99, 100), "2"),
    ("3.4.1", R(98, 100), "2"),
    ("3.4.1", R(9799, 10000), "1.5"),
    ("3.4.1", R(95, 100), "1.5"),
    ("3.4.1", R(9499, 10000), "1"),
    ("3.4.1", R(94999, 100000), "1"),  # 94,999 % is below 95 %
    ("3.4.1", R(90, 100), "1"),
    ("3.4.1", R(89, 100), "0"),
    ("3.4.2", R(100, 100), "1.5"),
    ("3.4.2", R(9999, 10000), "1"),
    ("3.4.2", R(95, 100), "1"),
    ("3.4.2", R(9499, 10000), "0.5"),
    ("3.4.2", R(90, 100), "0.5"),
    ("3.4.2", R(8999, 10000), "0"),
    ("3.4.3", R(7, 7), "1"),
    ("3.4.3", R(99, 100), "0"),
    ("3.4.3", R(0, 0), "1"),  # no late files
    ("3.5", R(100, 100), "2"),
    ("3.5", R(99, 100), "1"),
    ("3.5", R(90, 100), "1"),
    ("3.5", R(8999, 10000), "0"),
    # Area 4
    ("4.1.1", R(12, 12), "1"),
    ("4.1.1", R(11, 12), "0.5"),
    ("4.1.1", R(99, 100), "0.5"),
    ("4.1.1", R(0, 12), "0.5"),
    ("4.1.2", DeductionInput(0), "1"),
    ("4.1.2", DeductionInput(2), "0.5"),
    ("4.1.2", DeductionInput(4), "0"),
    ("4.1.2", DeductionInput(6), "0"),
    ("4.2.1", YES, "1"),
    ("4.2.1", NO, "0"),
    ("4.2.2", R(100, 100), "1"),
    ("4.2.2", R(12, 10), "1"),  # exceeded the target
    ("4.2.2", R(9999, 10000), "0.5"),
    ("4.2.2", R(0, 10), "0"),
    ("4.3", YES, "1"),
    ("4.3", NO, "0"),
    ("4.4", R(5, 5), "1"),
    ("4.4", R(4, 5), "0.5"),
    ("4.4", R(99, 100), "0.5"),
    # Area 5
    ("5.1", SumInput((YES, R(40, 40))), "1.5"),
    ("5.1", SumInput((YES, R(39, 40))), "0.5"),
    ("5.1", SumInput((YES, R(99, 100))), "0.5"),
    ("5.1", SumInput((NO, R(40, 40))), "1"),
    ("5.1", SumInput((NO, R(0, 40))), "0"),
    ("5.2", DeductionInput(0), "1.5"),
    ("5.2", DeductionInput(1), "1"),
    ("5.2", DeductionInput(2), "0.5"),
    ("5.2", DeductionInput(3), "0"),
    ("5.2", DeductionInput(4), "0"),
    ("5.3", YES, "1"),
    ("5.3", NO, "0"),
    ("5.4", SumInput((YES, R(90, 100))), "1.5"),
    ("5.4", SumInput((YES, R(8999, 10000))), "1"),
    ("5.4", SumInput((YES, R(70, 100))), "1"),
    ("5.4", SumInput((YES, R(6999, 10000))), "0.5"),
    ("5.4", SumInput((NO, R(100, 100))), "1"),
    ("5.4", SumInput((NO, R(0, 100))), "0"),
    ("5.5", R(100, 100), "1.5"),
    ("5.5", R(99, 100), "1"),
    ("5.5", R(90, 100), "1"),
    ("5.5", R(8999, 10000), "0.5"),
    ("5.5", R(80, 100), "0.5"),
    ("5.5", R(7999, 10000), "0"),
    ("5.6", DeductionInput(0), "1"),  # no disciplinary case
    ("5.6", DeductionInput(1), "0.5"),  # one case
    ("5.6", DeductionInput(2), "0"),  # two or more
    ("5.6", DeductionInput(3), "0"),
    ("5.6", DeductionInput(0, zero=True), "0"),  # a leader disciplined
    # Area 6
    ("6.1", TierInput(0), "1"),
    ("6.1", TierInput(1), "0.5"),
    ("6.1", TierInput(2), "0"),
    ("6.2.1", R(30, 30), "1"),
    ("6.2.1", R(29, 30), "0.5"),
    ("6.2.1", R(99, 100), "0.5"),
    ("6.2.2", R(8, 8), "1"),
    ("6.2.2", R(7, 8), "0.5"),
    ("6.2.2", R(999, 1000), "0.5"),
    ("6.3", R(4, 4), "1"),
    ("6.3", R(3, 4), "0.5"),
    ("6.3", R(99, 100), "0.5"),
    ("6.4", DeductionInput(0), "1"),
    ("6.4", DeductionInput(1), "0"),
    ("6.4", DeductionInput(2), "0"),
    ("6.5", R(100, 100), "1"),
    ("6.5", R(95, 100), "1"),
    ("6.5", R(9499, 10000), "0.5"),
    ("6.5", R(80, 100), "0.5"),
    ("6.5", R(7999, 10000), "0"),
    ("6.5", R("123456.5", "130000"), "0.5"),  # money with decimals: 94.96…%
    # Area 7
    ("7.1.1", TierInput(0), "1"),
    ("7.1.1", TierInput(1), "0.5"),
    ("7.1.1", TierInput(2), "0"),
    ("7.1.2", R(100, 100), "1.5"),
    ("7.1.2", R(90, 100), "1.5"),
    ("7.1.2", R(8999, 10000), "1"),
    ("7.1.2", R(70, 100), "1"),
    ("7.1.2", R(6999, 10000), "0.5"),
    ("7.1.2", R(50, 100), "0.5"),
    ("7.1.2", R(4999, 10000), "0"),
    ("7.1.3", DeductionInput(0), "1"),
    ("7.1.3", DeductionInput(1), "0.75"),
    ("7.1.3", DeductionInput(4), "0"),
    ("7.1.3", DeductionInput(5), "0"),
    ("7.1.4", YES, "1"),
    ("7.1.4", NO, "0"),
    ("7.2.1", R(100, 100), "1.5"),
    ("7.2.1", R(50, 100), "1.5"),
    ("7.2.1", R(4999, 10000), "1"),
    ("7.2.1", R(30, 100), "1"),
    ("7.2.1", R(2999, 10000), "0.5"),
    ("7.2.1", R(0, 100), "0.5"),
    ("7.2.2", R(50, 100), "2"),
    ("7.2.2", R(4999, 10000), "1.5"),
    ("7.2.2", R(30, 100), "1.5"),
    ("7.2.2", R(2999, 10000), "1"),
    ("7.2.2", R(20, 100), "1"),
    ("7.2.2", R(1999, 10000), "0.5"),
    ("7.2.2", R(0, 100), "0.5"),
    ("7.2.3", CountInput(1), "1"),
    ("7.2.3", CountInput(250), "1"),
    ("7.2.3", CountInput(0), "0"),
    ("7.2.4", R(100, 100), "1"),
    ("7.2.4", R(10, 100), "1"),
    ("7.2.4", R(999, 10000), "0.5"),
    ("7.2.4", R(1, 1000), "0.5"),
    ("7.2.4", R(0, 100), "0"),
    ("7.3.1", YES, "1"),
    ("7.3.1", NO, "0"),
    ("7.3.2", TierInput(0), "1"),
    ("7.3.2", TierInput(1), "0.5"),
    ("7.3.2", TierInput(2), "0"),
    # Area 8 (self-scored part 8.3)
    ("8.3.1", R(110, 100), "2"),
    ("8.3.1", R(100, 100), "2"),
    ("8.3.1", R(9999, 10000), "1"),
    ("8.3.1", R(90, 100), "1"),
    ("8.3.1", R(8999, 10000), "0"),
    ("8.3.2", R(20, 20), "3"),
    ("8.3.2", R(99, 100), "2"),
    ("8.3.2", R(80, 100), "2"),
    ("8.3.2", R(7999, 10000), "1"),
    ("8.3.2", R(60, 100), "1"),
    ("8.3.2", R(5999, 10000), "0"),
    ("8.3.3", R(121, 120), "1.5"),  # up
    ("8.3.3", R(120, 120), "1"),  # same
    ("8.3.3", R(119, 120), "0.5"),  # down
    ("8.3.3", R(0, 120), "0.5"),
    ("8.3.4", R(10, 10), "1.5"),
    ("8.3.4", R(99, 100), "1"),
    ("8.3.4", R(80, 100), "1"),
    ("8.3.4", R(7999, 10000), "0.5"),
    ("8.3.4", R(0, 10), "0.5"),
]

# Maximum of every self-scored leaf (reference "Max" column); they add up to 70.
MAXIMA: dict[str, str] = {
    "1.1.1": "1", "1.1.2": "2", "1.2": "1", "1.3.1": "1", "1.3.2": "1", "1.4": "1",
    "1.5": "1", "1.6": "2",
    "2.1": "1", "2.2.1": "0.5", "2.2.2": "1", "2.3": "1", "2.4": "1", "2.5": "1.5",
    "3.1.1": "0.5", "3.1.2": "0.5", "3.1.3": "1", "3.2": "2", "3.3.1": "1", "3.3.2": "1",
    "3.3.3": "1", "3.4.1": "2.5", "3.4.2": "1.5", "3.4.3": "1", "3.5": "2",
    "4.1.1": "1", "4.1.2": "1", "4.2.1": "1", "4.2.2": "1", "4.3": "1", "4.4": "1",
    "5.1": "1.5", "5.2": "1.5", "5.3": "1", "5.4": "1.5", "5.5": "1.5", "5.6": "1",
    "6.1": "1", "6.2.1": "1", "6.2.2": "1", "6.3": "1", "6.4": "1", "6.5": "1",
    "7.1.1": "1", "7.1.2": "1.5", "7.1.3": "1", "7.1.4": "1", "7.2.1": "1.5", "7.2.2": "2",
    "7.2.3": "1", "7.2.4": "1", "7.3.1": "1", "7.3.2": "1",
    "8.3.1": "2", "8.3.2": "3", "8.3.3": "1.5", "8.3.4": "1.5",
}  # fmt: skip


@pytest.mark.parametrize(("code", "raw", "points"), CASES)
def test_leaf_scores(huyen: CriteriaSet, code: str, raw: RawInput, points: str) -> None:
    criterion = huyen.by_code()[code]
    result = score(criterion, raw)
    assert result.points == D(points)
    assert result.max == D(MAXIMA[code])
    assert result.explanation
    assert not result.excluded


def test_every_self_scored_leaf_is_in_the_table(huyen: CriteriaSet) -> None:
    leaves = {c.code for c in huyen.leaves() if not c.is_survey}
    assert {code for code, _, _ in CASES} == leaves
    assert set(MAXIMA) == leaves
    assert {c.code: c.max for c in huyen.leaves() if not c.is_survey} == {
        code: D(m) for code, m in MAXIMA.items()
    }
    assert sum(D(m) for m in MAXIMA.values()) == D(70) == huyen.self_scored_max


def test_every_full_mark_is_reachable() -> None:
    best: dict[str, Decimal] = {}
    for code, _, points in CASES:
        best[code] = max(best.get(code, D(0)), D(points))
    assert best == {code: D(m) for code, m in MAXIMA.items()}


def test_every_tier_is_tried(huyen: CriteriaSet) -> None:
    for criterion in huyen.leaves():
        if isinstance(criterion.rule, TiersRule):
            tried = {
                raw.index
                for code, raw, _ in CASES
                if code == criterion.code and isinstance(raw, TierInput)
            }
            assert tried == set(range(len(criterion.rule.tiers))), criterion.code


def _ratio_answers(code: str, part: int | None) -> list[RatioInput]:
    out = []
    for c, raw, _ in CASES:
        if c != code:
            continue
        answer = raw.parts[part] if part is not None and isinstance(raw, SumInput) else raw
        if isinstance(answer, RatioInput):
            out.append(answer)
    return out


def test_every_ratio_threshold_is_tried_on_its_edge(huyen: CriteriaSet) -> None:
    """Each inclusive threshold is hit exactly, and something just below it is tried too."""
    rules: list[tuple[str, int | None, RatioRule]] = []
    for criterion in huyen.leaves():
        if isinstance(criterion.rule, RatioRule):
            rules.append((criterion.code, None, criterion.rule))
        elif isinstance(criterion.rule, SumRule):
            for i, part in enumerate(criterion.rule.parts):
                if isinstance(part.rule, RatioRule):
                    rules.append((criterion.code, i, part.rule))
    assert rules
    for code, index, rule in rules:
        answers = _ratio_answers(code, index)
        percents = [a.numerator * 100 / a.denominator for a in answers if a.denominator]
        for th in rule.thresholds:
            if th.strict:
                assert any(p > th.min for p in percents), (code, th)
                assert any(p == th.min for p in percents), (code, th)
            else:
                assert any(p == th.min for p in percents), (code, th)
                assert any(th.min - 1 <= p < th.min for p in percents) or th.min == 0, (code, th)


@pytest.mark.parametrize(
    ("code", "raw", "explanation"),
    [
        (
            "3.4.1",
            R(97, 100),
            "97/100 số hồ sơ giải quyết trước hạn và đúng hạn = 97 % → mức 95–<98 % → 1,5 điểm",
        ),
        (
            "3.4.1",
            R(94999, 100000),
            "94.999/100.000 số hồ sơ giải quyết trước hạn và đúng hạn ≈ 94,99 % → "
            "mức 90–<95 % → 1 điểm",
        ),
        (
            "3.4.1",
            R(89, 100),
            "89/100 số hồ sơ giải quyết trước hạn và đúng hạn = 89 % → mức dưới 90 % → 0 điểm",
        ),
        ("1.6", DeductionInput(2), "2 nhiệm vụ quá hạn × 0,25 = −0,5 → 1,5/2 điểm"),
        ("1.1.1", TierInput(1), "Mức: Ban hành chậm so với thời hạn → 0,5 điểm"),
        ("2.1", YES, "Có → 1 điểm"),
        ("3.4.3", R(0, 0), "Không có hồ sơ trễ hạn → 1 điểm"),
        (
            "8.3.3",
            R(121, 120),
            "121/120 số doanh nghiệp thành lập mới năm 2021 ≈ 100,83 % → "
            "mức Tăng so với năm trước → 1,5 điểm",
        ),
        (
            "7.2.3",
            CountInput(3),
            "3 hồ sơ tiếp nhận hoặc trả kết quả qua bưu chính công ích → "
            "mức Có phát sinh hồ sơ → 1 điểm",
        ),
    ],
)
def test_explanations(huyen: CriteriaSet, code: str, raw: RawInput, explanation: str) -> None:
    assert score(huyen.by_code()[code], raw).explanation == explanation


# --- validation on the real set ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("3.4.1", R(101, 100), "Tử số không được lớn hơn mẫu số."),
        ("3.4.1", R(0, 0), "Mẫu số phải lớn hơn 0."),
        ("3.5", R(0, 0), "hãy chọn «Không phát sinh»"),
        ("5.1", SumInput((YES,)), "cần trả lời đủ 2 phần"),
        ("1.1.1", TierInput(3), "Mức đã chọn không hợp lệ."),
        ("1.6", DeductionInput(1, zero=True), "không có trường hợp bị 0 điểm"),
        ("8.1", YES, "không tự chấm"),
        ("8.2", R(90, 100), "không tự chấm"),
        ("3.4", R(1, 1), "Tiêu chí 3.4 gồm các tiêu chí thành phần"),
        ("3.4.1", NotApplicableInput(), "không có trường hợp «Không phát sinh»"),
    ],
)
def test_rejected_answers(huyen: CriteriaSet, code: str, raw: RawInput, message: str) -> None:
    with pytest.raises(ScoringInputError, match=message):
        score(huyen.by_code()[code], raw)


# --- không phát sinh ---------------------------------------------------------------------------

# The reference: 2.1 is removed from the maximum; 3.5, 4.4 and 6.3 get full marks.
NOT_APPLICABLE = {"2.1": "exclude", "3.5": "full_marks", "4.4": "full_marks", "6.3": "full_marks"}


def test_not_applicable_policies_match_the_reference(huyen: CriteriaSet) -> None:
    found = {c.code: c.not_applicable.policy for c in huyen.leaves() if c.not_applicable}
    assert found == NOT_APPLICABLE


@pytest.mark.parametrize(
    ("code", "points", "excluded"),
    [("2.1", "0", True), ("3.5", "2", False), ("4.4", "1", False), ("6.3", "1", False)],
)
def test_not_applicable(huyen: CriteriaSet, code: str, points: str, excluded: bool) -> None:
    result = score(huyen.by_code()[code], NotApplicableInput())
    assert result.points == D(points)
    assert result.max == D(MAXIMA[code])
    assert result.not_applicable
    assert result.excluded is excluded


# --- totals, bonus, penalty, index and rating --------------------------------------------------


def _all_at(huyen: CriteriaSet, points: dict[str, str] | None = None) -> dict[str, ScoreResult]:
    """Every self-scored leaf at full marks unless ``points`` says otherwise."""
    points = points or {}
    return {code: ScoreResult(D(points.get(code, m)), D(m), "") for code, m in MAXIMA.items()}


def test_full_marks_give_100(huyen: CriteriaSet) -> None:
    summary = summarise(huyen, _all_at(huyen), survey={"8.1": D(12), "8.2": D(18)})
    assert summary.self_points == D(70)
    assert summary.self_max == D(70)
    assert summary.survey_points == D(30)
    assert summary.survey_max == D(30)
    assert (summary.scored, summary.total) == (57, 57)
    assert summary.index == D(100)
    assert summary.band == "Tốt"
    assert [(a.code, a.points, a.max) for a in summary.areas] == [
        ("1", D(10), D(10)),
        ("2", D(6), D(6)),
        ("3", D(14), D(14)),
        ("4", D(6), D(6)),
        ("5", D(8), D(8)),
        ("6", D(6), D(6)),
        ("7", D(12), D(12)),
        ("8", D(8), D(8)),
    ]


def test_summary_from_real_answers(huyen: CriteriaSet) -> None:
    by_code = huyen.by_code()
    answers: dict[str, RawInput] = {
        "3.4.1": R(97, 100),  # 1.5
        "1.2": DeductionInput(1),  # 0.75
        "1.6": DeductionInput(3),  # 1.25
        "2.1": NotApplicableInput(),  # excluded, max 1
        "3.5": NotApplicableInput(),  # 2
        "5.5": R(85, 100),  # 0.5
    }
    results = {code: score(by_code[code], raw) for code, raw in answers.items()}
    summary = summarise(
        huyen,
        results,
        bonus={"khen-thuong": 1},
        penalty={"phe-binh": 1},
        survey={"8.1": D("9.6"), "8.2": D("15.3")},
    )
    assert summary.self_points == D("6")
    assert summary.excluded_max == D(1)
    assert summary.denominator == D(99)
    assert (summary.scored, summary.total) == (6, 57)
    area1, area2, area3 = summary.areas[:3]
    assert (area1.points, area1.scored, area1.total) == (D(2), 2, 8)
    assert (area2.points, area2.excluded_max, area2.scored, area2.total) == (D(0), D(1), 1, 6)
    assert (area3.points, area3.scored, area3.total) == (D("3.5"), 2, 11)
    # (6 + 24.9 + 1 − 1) ÷ 99 × 100 = 31.21…
    assert D("31.21") < summary.index < D("31.22")
    assert summary.band == "Yếu"


@pytest.mark.parametrize(
    ("bonus", "expected"),
    [
        ({}, "0"),
        ({"khen-thuong": 1}, "1"),
        ({"khen-thuong": 3}, "1"),  # once, however many commendations
        ({"khen-thuong": 1, "nhan-rong-mo-hinh": 1}, "2"),
        ({"khen-thuong": 0, "nhan-rong-mo-hinh": 1}, "1"),
    ],
)
def test_bonus(huyen: CriteriaSet, bonus: dict[str, int], expected: str) -> None:
    assert summarise(huyen, {}, bonus=bonus).bonus == D(expected)


@pytest.mark.parametrize(
    ("penalty", "expected"),
    [
        ({}, "0"),
        ({"phe-binh": 1}, "1"),
        ({"phe-binh": 2}, "2"),  # −1 per written criticism
        ({"phe-binh": 3}, "3"),
        ({"phe-binh": 5}, "3"),  # capped at −3
        ({"bao-cao-tre-han": 2}, "1"),  # once
        ({"phe-binh": 1, "bao-cao-tre-han": 1, "nhung-nhieu": 1}, "3"),
        (
            {
                "phe-binh": 1,
                "bao-cao-tre-han": 1,
                "tlkc-khong-trung-thuc": 1,
                "nhung-nhieu": 1,
            },
            "3",
        ),
    ],
)
def test_penalty(huyen: CriteriaSet, penalty: dict[str, int], expected: str) -> None:
    assert summarise(huyen, {}, penalty=penalty).penalty == D(expected)


# (self-scored below full marks, survey 8.1, survey 8.2, bonus, penalty, exclude 2.1) → band
INDEX_CASES = [
    # 70 + 15 = 85 → Tốt; 70 + 14.99 = 84.99 → Khá
    ({}, "12", "3", {}, {}, False, "85", "Tốt"),
    ({}, "12", "2.99", {}, {}, False, "84.99", "Khá"),
    # 65 + 18 + 2 (bonus) = 85
    ({"8.3.2": "0", "7.2.2": "0"}, "0", "18", {"khen-thuong": 1, "nhan-rong-mo-hinh": 1},
     {}, False, "85", "Tốt"),
    # 70 + 3 − 3 = 70 → Khá; 70 − 3 + 2.99 = 69.99 → Trung bình
    ({}, "3", "0", {}, {"phe-binh": 3}, False, "70", "Khá"),
    ({}, "2.99", "0", {}, {"phe-binh": 4}, False, "69.99", "Trung bình"),
    # 70 − 24 = 46 self-scored, + 4 = 50; 70 − 24.25 + 4.24 = 49.99
    ({"8.3.2": "0", "8.3.1": "0", "7.2.2": "0", "3.4.1": "0", "3.2": "0", "1.6": "0",
      "1.1.2": "0", "1.2": "0", "1.3.1": "0", "1.3.2": "0", "1.4": "0", "1.5": "0",
      "2.2.2": "0", "2.3": "0", "2.4": "0", "2.5": "1"}, "4", "0", {}, {}, False, "50",
     "Trung bình"),
    ({"8.3.2": "0", "8.3.1": "0", "7.2.2": "0", "3.4.1": "0", "3.2": "0", "1.6": "0",
      "1.1.2": "0", "1.2": "0", "1.3.1": "0", "1.3.2": "0", "1.4": "0", "1.5": "0",
      "2.2.2": "0", "2.3": "0", "2.4": "0", "2.5": "0.75"}, "4", "0.24", {}, {}, False,
     "49.99", "Yếu"),
    # 2.1 excluded: 69 + 15.15 = 84.15 of 99 = 85 % exactly → Tốt; 84.14 → 84.9898… → Khá
    ({"2.1": "0"}, "12", "3.15", {}, {}, True, "85", "Tốt"),
    ({"2.1": "0"}, "12", "3.14", {}, {}, True, None, "Khá"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("lowered", "s81", "s82", "bonus", "penalty", "exclude", "index", "band"), INDEX_CASES
)
def test_index_and_band(
    huyen: CriteriaSet,
    lowered: dict[str, str],
    s81: str,
    s82: str,
    bonus: dict[str, int],
    penalty: dict[str, int],
    exclude: bool,
    index: str | None,
    band: str,
) -> None:
    results = _all_at(huyen, lowered)
    if exclude:
        results["2.1"] = ScoreResult(D(0), D(1), "", not_applicable=True, excluded=True)
    summary = summarise(
        huyen, results, bonus=bonus, penalty=penalty, survey={"8.1": D(s81), "8.2": D(s82)}
    )
    if index is not None:
        assert summary.index == D(index)
    else:
        assert D("84.98") < summary.index < D("84.99")
    assert summary.band == band


@pytest.mark.parametrize(
    ("index", "band"),
    [
        ("100", "Tốt"),
        ("85", "Tốt"),
        ("84.99", "Khá"),
        ("70", "Khá"),
        ("69.99", "Trung bình"),
        ("50", "Trung bình"),
        ("49.99", "Yếu"),
        ("0", "Yếu"),
        ("-3", "Yếu"),
    ],
)
def test_rating_bands(huyen: CriteriaSet, index: str, band: str) -> None:
    assert rating_band(huyen, D(index)) == band
