"""The scoring engine on the small test set: every rule type, validation, parsing, totals."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from criteria.loader import load_set
from criteria.schema import BonusBlock, BonusItem, CriteriaSet, NotApplicable
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
    format_number,
    format_percent,
    format_points,
    parse_count,
    parse_number,
    parse_ratio,
    rating_band,
    score,
    summarise,
)

D = Decimal
MINI = Path(__file__).parent / "data" / "valid" / "mini-set.yaml"


@pytest.fixture(scope="module")
def mini() -> CriteriaSet:
    cset, issues = load_set(MINI)
    assert not issues
    assert cset is not None
    return cset


# --- scoring every rule type -----------------------------------------------------------------

SCORES: list[tuple[str, RawInput, str, str]] = [
    # tiers
    ("1.1.1", TierInput(0), "1", "Mức: Ban hành đúng hạn → 1 điểm"),
    ("1.1.1", TierInput(1), "0.5", "Mức: Ban hành chậm → 0,5 điểm"),
    ("1.1.1", TierInput(2), "0", "Mức: Không ban hành → 0 điểm"),
    # ratio: thresholds 100 → 2, 80 → 1, below 0
    (
        "1.1.2",
        RatioInput(D(10), D(10)),
        "2",
        "10/10 nhiệm vụ đã hoàn thành = 100 % → mức 100 % → 2 điểm",
    ),
    (
        "1.1.2",
        RatioInput(D(97), D(100)),
        "1",
        "97/100 nhiệm vụ đã hoàn thành = 97 % → mức 80–<100 % → 1 điểm",
    ),
    (
        "1.1.2",
        RatioInput(D(4), D(5)),
        "1",
        "4/5 nhiệm vụ đã hoàn thành = 80 % → mức 80–<100 % → 1 điểm",
    ),
    (
        "1.1.2",
        RatioInput(D(7999), D(10000)),
        "0",
        "7.999/10.000 nhiệm vụ đã hoàn thành = 79,99 % → mức dưới 80 % → 0 điểm",
    ),
    # an inexact percentage is truncated, never rounded up to the threshold
    (
        "1.1.2",
        RatioInput(D(7999999), D(10000000)),
        "0",
        "7.999.999/10.000.000 nhiệm vụ đã hoàn thành ≈ 79,99 % → mức dưới 80 % → 0 điểm",
    ),
    (
        "1.1.2",
        RatioInput(D(2), D(3)),
        "0",
        "2/3 nhiệm vụ đã hoàn thành ≈ 66,66 % → mức dưới 80 % → 0 điểm",
    ),
    (
        "1.1.2",
        RatioInput(D("8.5"), D("10")),
        "1",
        "8,5/10 nhiệm vụ đã hoàn thành = 85 % → mức 80–<100 % → 1 điểm",
    ),
    # deductions: 0.25 each, floor 0, zero if a report is missing
    ("1.2", DeductionInput(0), "1", "Không có báo cáo trễ hạn → 1/1 điểm"),
    ("1.2", DeductionInput(1), "0.75", "1 báo cáo trễ hạn × 0,25 = −0,25 → 0,75/1 điểm"),
    ("1.2", DeductionInput(2), "0.5", "2 báo cáo trễ hạn × 0,25 = −0,5 → 0,5/1 điểm"),
    ("1.2", DeductionInput(4), "0", "4 báo cáo trễ hạn × 0,25 = −1 → 0/1 điểm"),
    (
        "1.2",
        DeductionInput(5),
        "0",
        "5 báo cáo trễ hạn × 0,25 = −1,25 → 0/1 điểm (không thấp hơn 0)",
    ),
    ("1.2", DeductionInput(0, zero=True), "0", "Thiếu báo cáo → 0/1 điểm"),
    # ratio with when_zero
    (
        "2.1",
        RatioInput(D(3), D(3)),
        "1",
        "3/3 hồ sơ trễ hạn có phiếu xin lỗi = 100 % → mức 100 % → 1 điểm",
    ),
    (
        "2.1",
        RatioInput(D(2), D(3)),
        "0",
        "2/3 hồ sơ trễ hạn có phiếu xin lỗi ≈ 66,66 % → mức dưới 100 % → 0 điểm",
    ),
    ("2.1", RatioInput(D(0), D(0)), "1", "Không có hồ sơ trễ hạn → 1 điểm"),
    # not applicable, full marks policy
    (
        "2.1",
        NotApplicableInput(),
        "1",
        "Không phát sinh (Không có hồ sơ trễ hạn) → đạt tối đa 1 điểm",
    ),
    # sum of a yes/no and a ratio
    (
        "2.2",
        SumInput((YesNoInput(True), RatioInput(D(20), D(20)))),
        "1.5",
        "Danh mục được duyệt: Có → 0,5 điểm; Công chức bố trí đúng VTVL: 20/20 công chức bố trí "
        "đúng = 100 % → mức 100 % → 1 điểm; tổng 1,5/1,5 điểm",
    ),
    (
        "2.2",
        SumInput((YesNoInput(False), RatioInput(D(20), D(20)))),
        "1",
        "Danh mục được duyệt: Không → 0 điểm; Công chức bố trí đúng VTVL: 20/20 công chức bố trí "
        "đúng = 100 % → mức 100 % → 1 điểm; tổng 1/1,5 điểm",
    ),
    (
        "2.2",
        SumInput((YesNoInput(True), RatioInput(D(19), D(20)))),
        "0.5",
        "Danh mục được duyệt: Có → 0,5 điểm; Công chức bố trí đúng VTVL: 19/20 công chức bố trí "
        "đúng = 95 % → mức dưới 100 % → 0 điểm; tổng 0,5/1,5 điểm",
    ),
]


@pytest.mark.parametrize(("code", "raw", "points", "explanation"), SCORES)
def test_score(mini: CriteriaSet, code: str, raw: RawInput, points: str, explanation: str) -> None:
    criterion = mini.by_code()[code]
    result = score(criterion, raw)
    assert result.points == D(points)
    assert result.max == criterion.max
    assert result.explanation == explanation
    assert not result.excluded


def test_every_rule_type_of_the_mini_set_is_covered(mini: CriteriaSet) -> None:
    scored = {code for code, *_ in SCORES}
    self_scored = {c.code for c in mini.leaves() if not c.is_survey}
    assert scored == self_scored


def test_not_applicable_flags(mini: CriteriaSet) -> None:
    by_code = mini.by_code()
    assert score(by_code["2.1"], NotApplicableInput()).not_applicable
    assert score(by_code["2.1"], RatioInput(D(0), D(0))).not_applicable
    assert not score(by_code["2.1"], RatioInput(D(1), D(1))).not_applicable


def test_not_applicable_exclude_policy(mini: CriteriaSet) -> None:
    criterion = mini.by_code()["1.1.2"].model_copy(
        update={"not_applicable": NotApplicable(policy="exclude", note="Không có kế hoạch")}
    )
    result = score(criterion, NotApplicableInput())
    assert result == ScoreResult(
        points=D(0),
        max=D(2),
        explanation="Không phát sinh (Không có kế hoạch) → loại khỏi tổng điểm "
        "(điểm tối đa giảm 2)",
        not_applicable=True,
        excluded=True,
    )


# --- validation ------------------------------------------------------------------------------

ERRORS: list[tuple[str, RawInput, str]] = [
    ("1.1.2", RatioInput(D(5), D(0)), "Mẫu số phải lớn hơn 0."),
    ("1.1.2", RatioInput(D(0), D(0)), "Mẫu số phải lớn hơn 0."),
    ("1.1.2", RatioInput(D(101), D(100)), "Tử số không được lớn hơn mẫu số."),
    ("2.1", RatioInput(D(1), D(0)), "Tử số không được lớn hơn mẫu số."),
    ("1.1.1", TierInput(3), "Mức đã chọn không hợp lệ."),
    ("1.1.1", YesNoInput(True), "Câu trả lời không đúng dạng của tiêu chí này."),
    ("1.1.2", CountInput(3), "Câu trả lời không đúng dạng của tiêu chí này."),
    ("1.2", RatioInput(D(1), D(2)), "Câu trả lời không đúng dạng của tiêu chí này."),
    ("1.1.1", NotApplicableInput(), "không có trường hợp «Không phát sinh»"),
    ("2.2", SumInput((YesNoInput(True),)), "cần trả lời đủ 2 phần"),
    ("2.2", SumInput((RatioInput(D(1), D(1)), YesNoInput(True))), "không đúng dạng"),
    ("2.2", YesNoInput(True), "không đúng dạng"),
    ("2.3", YesNoInput(True), "do tỉnh chấm qua điều tra xã hội học, không tự chấm"),
    ("1", YesNoInput(True), "Lĩnh vực 1 gồm các tiêu chí; hãy chấm từng tiêu chí."),
    ("1.1", YesNoInput(True), "Tiêu chí 1.1 gồm các tiêu chí thành phần"),
]


@pytest.mark.parametrize(("code", "raw", "message"), ERRORS)
def test_score_rejects(mini: CriteriaSet, code: str, raw: RawInput, message: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        score(mini.by_code()[code], raw)
    assert message in info.value.message
    assert str(info.value) == info.value.message


def test_deduction_zero_flag_needs_a_zero_case(mini: CriteriaSet) -> None:
    rule = mini.by_code()["1.2"]
    assert rule.rule is not None
    criterion = rule.model_copy(update={"rule": rule.rule.model_copy(update={"zero_if": None})})
    with pytest.raises(ScoringInputError, match="không có trường hợp bị 0 điểm"):
        score(criterion, DeductionInput(0, zero=True))


def test_zero_denominator_hints_at_not_applicable(mini: CriteriaSet) -> None:
    criterion = mini.by_code()["1.1.2"].model_copy(
        update={"not_applicable": NotApplicable(policy="exclude")}
    )
    with pytest.raises(ScoringInputError, match="hãy chọn «Không phát sinh»"):
        score(criterion, RatioInput(D(0), D(0)))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: CountInput(-1), "Số phải là số nguyên không âm."),
        (lambda: CountInput(True), "Số phải là số nguyên không âm."),
        (lambda: CountInput(1.5), "Số phải là số nguyên không âm."),  # type: ignore[arg-type]
        (lambda: DeductionInput(-2), "Số phải là số nguyên không âm."),
        (lambda: RatioInput(D(-1), D(5)), "Tử số không được âm."),
        (lambda: RatioInput(D(1), D(-5)), "Mẫu số không được âm."),
        (lambda: RatioInput(D("NaN"), D(5)), "Tử số phải là một số."),
        (lambda: RatioInput("5", D(5)), "Tử số phải là một số."),  # type: ignore[arg-type]
        (lambda: TierInput(-1), "Mức đã chọn không hợp lệ."),
    ],
)
def test_inputs_reject_bad_values(make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(ScoringInputError) as info:
        make()
    assert info.value.message == message


def test_ratio_input_accepts_ints() -> None:
    raw = RatioInput(3, 4)  # type: ignore[arg-type]
    assert raw.numerator == D(3) and isinstance(raw.numerator, Decimal)
    assert isinstance(raw.denominator, Decimal)


# --- parsing and formatting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("97", "97"),
        ("0", "0"),
        ("97,5", "97.5"),
        ("97.5", "97.5"),
        (" 1 234 ", "1234"),
        ("1\u00a0234", "1234"),
        ("1 234 567", "1234567"),
        ("1 234,5", "1234.5"),
        ("1.234", "1234"),
        ("12.345.678", "12345678"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1,234,567", "1234567"),
        ("0.125", "0.125"),
        ("0,125", "0.125"),
        ("1,234", "1.234"),
        ("99.99", "99.99"),
        ("100", "100"),
    ],
)
def test_parse_number(text: str, expected: str) -> None:
    assert parse_number(text) == D(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "97a",
        "-5",
        "+5",
        "1e3",
        "1,2,3",
        "1.2.3",
        "12 34",
        "1 2345",
        "1.234.5",
        "1,5,",
        ",5",
        "5,",
        "1.234,5,6",
        "1,234.567.8",
        "1 234.567",
        "NaN",
        "Infinity",
        "٣",
    ],
)
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ScoringInputError, match="Vui lòng nhập một số không âm"):
        parse_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("97/100", ("97", "100")),
        ("97 / 100", ("97", "100")),
        ("97 100", ("97", "100")),
        ("  97   100  ", ("97", "100")),
        ("97,5/100", ("97.5", "100")),
        ("1 234/2 000", ("1234", "2000")),
        ("0/0", ("0", "0")),
    ],
)
def test_parse_ratio(text: str, expected: tuple[str, str]) -> None:
    assert parse_ratio(text) == (D(expected[0]), D(expected[1]))


@pytest.mark.parametrize(
    "text", ["97", "97/", "/100", "97/100/3", "1 2 3", "a/b", "97 trên 100", "", "97%/100"]
)
def test_parse_ratio_rejects(text: str) -> None:
    with pytest.raises(ScoringInputError, match="tử số/mẫu số"):
        parse_ratio(text)


@pytest.mark.parametrize(("text", "expected"), [("0", 0), ("12", 12), ("1 234", 1234)])
def test_parse_count(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["1,5", "x"])
def test_parse_count_rejects(text: str) -> None:
    with pytest.raises(ScoringInputError):
        parse_count(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", "1,5"),
        ("2", "2"),
        ("2.00", "2"),
        ("0.25", "0,25"),
        ("0", "0"),
        ("0.00", "0"),
        ("-0", "0"),
        ("100", "100"),
        ("10", "10"),
        ("-0.5", "−0,5"),
        ("70", "70"),
    ],
)
def test_format_points(value: str, expected: str) -> None:
    assert format_points(D(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1234", "1.234"), ("1234567.5", "1.234.567,5"), ("999", "999"), ("0.5", "0,5")],
)
def test_format_number(value: str, expected: str) -> None:
    assert format_number(D(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("94.999", "94,99"), ("85", "85"), ("72.5", "72,5"), ("66.6666", "66,66"), ("0", "0")],
)
def test_format_percent_never_rounds_up(value: str, expected: str) -> None:
    assert format_percent(D(value)) == expected


# --- totals ----------------------------------------------------------------------------------


def _results(mini: CriteriaSet, answers: dict[str, RawInput]) -> dict[str, ScoreResult]:
    by_code = mini.by_code()
    return {code: score(by_code[code], raw) for code, raw in answers.items()}


def test_summarise(mini: CriteriaSet) -> None:
    results = _results(
        mini,
        {
            "1.1.1": TierInput(0),  # 1
            "1.1.2": RatioInput(D(80), D(100)),  # 1
            "1.2": DeductionInput(1),  # 0.75
            "2.1": NotApplicableInput(),  # 1 (full marks)
            "2.2": SumInput((YesNoInput(True), RatioInput(D(5), D(5)))),  # 1.5
        },
    )
    summary = summarise(
        mini, results, bonus={"khen-thuong": 3}, penalty={"phe-binh": 2}, survey={"2.3": D(3)}
    )
    assert [(a.code, a.points, a.max, a.scored, a.total) for a in summary.areas] == [
        ("1", D("2.75"), D(4), 3, 3),
        ("2", D("2.5"), D("2.5"), 2, 2),
    ]
    assert summary.self_points == D("5.25")
    assert summary.self_max == D("6.5")
    assert (summary.scored, summary.total) == (5, 5)
    assert summary.excluded_max == 0
    assert summary.survey_points == D(3)
    assert summary.survey_max == D("3.5")
    assert summary.bonus == D(1)  # not per occurrence: counted once
    assert summary.penalty == D(2)
    assert summary.denominator == D(10)
    # (5.25 + 3 + 1 − 2) ÷ 10 × 100
    assert summary.index == D("72.5")
    assert summary.band == "Khá"


def test_summarise_partial_and_excluded(mini: CriteriaSet) -> None:
    results = {
        "1.1.1": score(mini.by_code()["1.1.1"], TierInput(1)),  # 0.5
        "2.1": ScoreResult(D(0), D(1), "Không phát sinh", not_applicable=True, excluded=True),
    }
    summary = summarise(mini, results)
    assert summary.self_points == D("0.5")
    assert summary.excluded_max == D(1)
    assert summary.areas[1].excluded_max == D(1)
    assert summary.denominator == D(9)
    assert (summary.scored, summary.total) == (2, 5)
    assert summary.bonus == summary.penalty == summary.survey_points == 0
    assert format_percent(summary.index) == "5,55"  # 0.5 ÷ 9 × 100 = 5.555…
    assert summary.band == "Yếu"


def test_summarise_quarter_points_add_up_exactly(mini: CriteriaSet) -> None:
    by_code = mini.by_code()
    results = {
        "1.2": score(by_code["1.2"], DeductionInput(3)),  # 0.25
        "1.1.1": ScoreResult(D("0.5"), D(1), ""),
    }
    summary = summarise(mini, results, survey={"2.3": D("0.05")})
    assert summary.self_points == D("0.75")
    assert summary.index == D("8")
    assert str(summary.self_points + summary.survey_points) == "0.80"


def test_penalty_cap_and_index_below_zero(mini: CriteriaSet) -> None:
    summary = summarise(mini, {}, penalty={"phe-binh": 5})
    assert summary.penalty == D(3)  # 5 × 1, capped at 3
    assert summary.index == D(-30)
    assert summary.band == "Yếu"


def test_bonus_cap_per_occurrence(mini: CriteriaSet) -> None:
    cset = mini.model_copy(
        update={
            "bonus": BonusBlock(
                cap=D("1.5"),
                items=(
                    BonusItem(
                        code="mo-hinh", title="Mô hình", points=D("0.5"), per_occurrence=True
                    ),
                    BonusItem(code="khen", title="Khen", points=D(1)),
                ),
            )
        }
    )
    assert summarise(cset, {}, bonus={"mo-hinh": 2}).bonus == D(1)
    assert summarise(cset, {}, bonus={"mo-hinh": 2, "khen": 1}).bonus == D("1.5")
    assert summarise(cset, {}, bonus={"mo-hinh": 0, "khen": 0}).bonus == D(0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bonus": {"khong-co": 1}}, "Không có mục điểm thưởng «khong-co»"),
        ({"penalty": {"khong-co": 1}}, "Không có mục điểm trừ «khong-co»"),
        ({"penalty": {"phe-binh": -1}}, "Số phải là số nguyên không âm."),
        ({"survey": {"2.3": D(4)}}, "Điểm tiêu chí 2.3 phải từ 0 đến 3,5."),
        ({"survey": {"2.3": D(-1)}}, "phải từ 0 đến 3,5"),
        ({"survey": {"2.2": D(1)}}, "Không có tiêu chí điều tra xã hội học mã 2.2."),
    ],
)
def test_summarise_rejects(mini: CriteriaSet, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScoringInputError, match=message):
        summarise(mini, {}, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["2.3", "1.1", "9.9"])
def test_summarise_rejects_results_for_non_self_scored_codes(mini: CriteriaSet, code: str) -> None:
    with pytest.raises(ScoringInputError, match=f"Không có tiêu chí tự chấm mã {code}"):
        summarise(mini, {code: ScoreResult(D(0), D(1), "")})


def test_summarise_rejects_a_bonus_when_the_set_has_none(mini: CriteriaSet) -> None:
    cset = mini.model_copy(update={"bonus": None})
    with pytest.raises(ScoringInputError, match="không có điểm thưởng"):
        summarise(cset, {}, bonus={"khen-thuong": 1})
    assert summarise(cset, {}, bonus={}).bonus == 0


@pytest.mark.parametrize(
    ("index", "band"),
    [
        ("100", "Tốt"),
        ("85", "Tốt"),
        ("84.99", "Khá"),
        ("84.9999999", "Khá"),
        ("70", "Khá"),
        ("69.99", "Trung bình"),
        ("50", "Trung bình"),
        ("49.99", "Yếu"),
        ("0", "Yếu"),
        ("-5", "Yếu"),
    ],
)
def test_rating_band_boundaries(mini: CriteriaSet, index: str, band: str) -> None:
    assert rating_band(mini, D(index)) == band


def test_rating_band_is_exact_on_fractions(mini: CriteriaSet) -> None:
    # 17/20 = 85 % exactly; 84999/100000 just below
    assert rating_band(mini, D(17), D(20)) == "Tốt"
    assert rating_band(mini, D("84999"), D(100000)) == "Khá"
    # 2/3 × 100 = 66.66… %: Trung bình; (7/9 ≈ 77.7 %) Khá
    assert rating_band(mini, D(2), D(3)) == "Trung bình"
    assert rating_band(mini, D(7), D(9)) == "Khá"


def test_scoring_imports_no_framework() -> None:
    code = (
        "import sys, criteria.scoring; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('aiogram', 'sqlalchemy')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
