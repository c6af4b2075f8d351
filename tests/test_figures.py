"""Figures in a question (knowledge/figures.py): what is read, and the points the rule gives.

Questions are written for these tests in the ways officers type figures; the points come
from criteria.scoring, the engine /chamdiem uses, on the shipped set's rules.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from criteria.loader import require_catalogue
from criteria.schema import Criterion
from criteria.scoring import RatioInput, score
from knowledge.figures import Quantity, estimate, estimate_for, extract


@pytest.fixture(scope="module")
def by_code() -> dict[str, Criterion]:
    return require_catalogue().sets["huyen-2021"].by_code()


def _kinds(question: str) -> list[tuple[str, Decimal, Decimal | None]]:
    return [(q.kind, q.value, q.denominator) for q in extract(question)]


D = Decimal


# --- extraction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("bên em đạt 97,6 % thì được mấy điểm", [("percent", D("97.6"), None)]),
        ("ty le dung han 97.6% duoc may diem", [("percent", D("97.6"), None)]),
        ("đạt 97,6 phần trăm", [("percent", D("97.6"), None)]),
        ("45/50 hồ sơ đúng hạn", [("ratio", D(45), D(50))]),
        ("45 / 50", [("ratio", D(45), D(50))]),
        ("giải ngân 1.250 trên 1.500 tỷ", [("ratio", D(1250), D(1500)), ("count", D(1250), None)]),
        ("45 trong 50 hồ sơ", [("ratio", D(45), D(50)), ("count", D(45), None)]),
        (
            "45 hồ sơ đúng hạn trên tổng số 50 hồ sơ",
            [("ratio", D(45), D(50)), ("count", D(45), None)],
        ),
        ("trễ 2 báo cáo", [("count", D(2), None)]),
        ("3 nhiệm vụ quá hạn", [("count", D(3), None)]),
        ("tổng 1.250 hồ sơ", [("count", D(1250), None)]),
    ],
)
def test_quantities_are_read_the_vietnamese_way(
    question: str, expected: list[tuple[str, Decimal, Decimal | None]]
) -> None:
    assert _kinds(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "hạn nộp ngày 15/11 là hết hạn à",
        "từ 05/11/2021 đến 15/11/2021",
        "theo Quyết định số 2400/QĐ-UBND ngày 24/9/2021",
        "Nghị định 61/2018/NĐ-CP và 45/2016",
        "tiêu chí 3.4.1 và 7.2 tính thế nào",
        "kế hoạch năm 2021",
        "từ 95% đến dưới 98% được mấy điểm",
    ],
)
def test_dates_codes_years_document_numbers_and_bands_are_not_figures(question: str) -> None:
    assert extract(question) == []


def test_words_around_a_count_say_what_is_counted() -> None:
    (q,) = extract("Năm nay huyện em trễ 2 báo cáo quý, còn lại đúng hạn")
    assert q == Quantity("count", D(2), None, ("huyen", "em", "tre"), ("bao", "cao", "quy"))


# --- estimates, one rule type at a time --------------------------------------------------------


def test_ratio_from_a_percentage_with_a_decimal_comma(by_code: dict[str, Criterion]) -> None:
    e = estimate("Dạ bên em tỷ lệ đúng hạn đạt 97,6 % thì được mấy điểm ạ?", by_code["3.4.1"])
    assert e is not None
    assert (e.code, e.points, e.max) == ("3.4.1", D("1.5"), D("2.5"))
    assert e.text == (
        "Ước tính: 97,6 % → mức 95–<98 % → 1,5/2,5 điểm theo tiêu chí thành phần 3.4.1 "
        "(cần xác nhận khi tự chấm)."
    )
    # The same engine as /chamdiem: 97,6 of 100 scores the same.
    assert score(by_code["3.4.1"], RatioInput(D("97.6"), D(100))).points == e.points


def test_ratio_said_in_words(by_code: dict[str, Criterion]) -> None:
    # Voice typing writes the figures in words: the same estimate as "97,6 %".
    e = estimate(
        "dạ tỷ lệ đúng hạn bên em chín mươi bảy phẩy sáu phần trăm thì được mấy điểm ạ",
        by_code["3.4.1"],
    )
    assert e is not None and (e.points, e.max) == (D("1.5"), D("2.5"))
    assert "97,6 %" in e.text


def test_ratio_from_x_of_y(by_code: dict[str, Criterion]) -> None:
    for question in ("45/50 hồ sơ đúng hạn", "được 45 trên 50 hồ sơ", "45 trong 50 hồ sơ"):
        e = estimate(question, by_code["3.4.1"])
        assert e is not None, question
        assert e.points == D(1)
        assert "45/50" in e.text and "= 90 %" in e.text and "1/2,5 điểm" in e.text


def test_late_files_are_turned_into_files_on_time(by_code: dict[str, Criterion]) -> None:
    e = estimate("em trễ 2 trong 50 hồ sơ", by_code["3.4.1"])
    assert e is not None and e.points == D("1.5")
    assert "48/50" in e.text
    total_and_late = estimate("Năm nay bên em có 1.200 hồ sơ, trễ 29 ạ", by_code["3.4.1"])
    assert total_and_late is not None
    assert "1.171/1.200" in total_and_late.text and total_and_late.points == D("1.5")


def test_ratio_beyond_the_rule_gives_nothing(by_code: dict[str, Criterion]) -> None:
    assert estimate("55/50 hồ sơ", by_code["3.4.1"]) is None  # over 100 % is not allowed here
    over = estimate("thu ngân sách đạt 105%", by_code["8.3.1"])  # ... but it is here
    assert over is not None and over.points == D(2)


def test_tier_from_a_percentage(by_code: dict[str, Criterion]) -> None:
    e = estimate("kế hoạch tuyên truyền CCHC bên em hoàn thành 85%", by_code["1.4"])
    assert e is not None
    assert e.points == D("0.5")
    assert "85 % → mức «Có kế hoạch và hoàn thành từ 80% đến dưới 100%»" in e.text
    full = estimate("hoàn thành 100% kế hoạch", by_code["1.4"])
    assert full is not None and full.points == D(1)
    low = estimate("mới xong 60%", by_code["1.4"])
    assert low is not None and low.points == D(0)


def test_count_rule(by_code: dict[str, Criterion]) -> None:
    e = estimate("huyện em gửi 2 phương án đơn giản hóa lên tỉnh", by_code["3.1.2"])
    assert e is not None and e.points == D("0.5")
    assert "0,5/0,5 điểm theo tiêu chí thành phần 3.1.2" in e.text
    none = estimate("có 0 hồ sơ qua bưu chính công ích", by_code["7.2.3"])
    assert none is not None and none.points == D(0)


def test_deductions_from_late_reports(by_code: dict[str, Criterion]) -> None:
    e = estimate("Năm 2021 huyện em trễ 2 báo cáo quý thì trừ bao nhiêu ạ", by_code["1.2"])
    assert e is not None
    assert e.points == D("0.5")
    assert e.text.startswith("Ước tính: 2 báo cáo gửi chậm hạn × 0,25 = −0,5 → 0,5/1 điểm")
    assert "Thiếu (không gửi) một trong bốn báo cáo định kỳ" in e.text  # the zero case


def test_deductions_from_overdue_tasks_without_accents(by_code: dict[str, Criterion]) -> None:
    e = estimate("co 3 nhiem vu qua han thi duoc may diem", by_code["1.6"])
    assert e is not None and e.points == D("1.25")
    assert "1,25/2 điểm theo tiêu chí 1.6" in e.text


def test_everyday_names_of_the_counted_thing(by_code: dict[str, Criterion]) -> None:
    tasks = estimate("nhiệm vụ ủy ban tỉnh giao trễ 3 việc còn mấy điểm", by_code["1.6"])
    assert tasks is not None and tasks.points == D("1.25")
    reprimand = estimate("1 cong chuc bi khien trach trong nam", by_code["5.6"])
    assert reprimand is not None and reprimand.points == D("0.5")
    assert estimate("báo cáo quý III gửi chậm 2 ngày", by_code["1.2"]) is None  # days, not reports


def test_a_total_and_the_part_done(by_code: dict[str, Criterion]) -> None:
    plan = estimate("KH CCHC có 24 nhiệm vụ, xong 20 nv thì tính sao", by_code["1.1.2"])
    assert plan is not None and plan.points == D(1)
    assert plan.text.startswith("Ước tính: 20/24 số nhiệm vụ đã hoàn thành ≈ 83,33 %")
    found = estimate("tự kiểm tra phát hiện 2 văn bản trái luật, mới xử lý 1", by_code["2.3"])
    assert found is not None and found.points == D(0)
    training = estimate("KH có 120 lượt người, thực tế cử đi được 95 lượt", by_code["5.4"])
    assert training is not None and (training.points, training.max) == (D("0.5"), D(1))
    # 5 communes inspected of which 3 passed is not 3 of the rule's denominator; a third
    # figure makes the pair ambiguous.
    assert estimate("kiểm tra 5 xã, đạt 3", by_code["1.3.1"]) is None
    three = "phát hiện 5 vấn đề, đã xử lý xong 3, còn 2 vấn đề đã chuyển phòng khác theo dõi"
    assert estimate(three, by_code["1.3.2"]) is None


def test_a_count_that_is_not_late_is_not_deducted(by_code: dict[str, Criterion]) -> None:
    # Four reports sent, one missing: neither is "late", and the zero case is not guessed.
    assert estimate("bên em gửi 4 báo cáo", by_code["1.2"]) is None
    assert estimate("thiếu 1 báo cáo", by_code["1.2"]) is None


def test_a_sum_rule_scores_the_one_part_the_figures_fit(by_code: dict[str, Criterion]) -> None:
    e = estimate("phổ biến giáo dục pháp luật hoàn thành 85% được mấy điểm", by_code["2.5"])
    assert e is not None
    assert (e.part, e.points, e.max) == (
        "Mức độ hoàn thành nhiệm vụ phổ biến, giáo dục pháp luật",
        D("0.5"),
        D(1),
    )
    assert e.text == (
        "Ước tính: phần «Mức độ hoàn thành nhiệm vụ phổ biến, giáo dục pháp luật»: 85 % → "
        "mức 70–<90 % → 0,5/1 điểm theo tiêu chí 2.5; các phần khác chấm riêng "
        "(cần xác nhận khi tự chấm)."
    )
    assert estimate("trễ 2 báo cáo", by_code["2.5"]) is None  # fits no part


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("tỷ lệ hồ sơ đúng hạn tính thế nào", "3.4.1"),  # no figure
        ("bên em có 2 hồ sơ trễ hạn", "3.4.1"),  # a count, but no total
        ("đạt 97% và 98%", "3.4.1"),  # two different figures
        ("đạt 97%", "3.3.1"),  # a yes/no rule
        ("đạt 97%", "8.2"),  # survey, not self-scored
        ("đạt 97%", "3.4"),  # a group
        ("trễ 2 báo cáo", "3.4.1"),  # a count for a ratio rule
        ("45/50", "1.2"),  # a ratio for a deductions rule
    ],
)
def test_figures_that_do_not_fit_the_rule_give_nothing(
    by_code: dict[str, Criterion], question: str, code: str
) -> None:
    assert estimate(question, by_code[code]) is None


def test_estimate_for_only_a_decided_answer_on_one_criterion(
    by_code: dict[str, Criterion],
) -> None:
    q = "đạt 97,6 %"
    assert estimate_for(q, "answer", ("3.4.1",), by_code.get) is not None
    assert estimate_for(q, "clarify", ("3.4.1",), by_code.get) is None
    assert estimate_for(q, "answer", ("3.4.1", "3.4.2"), by_code.get) is None
    assert estimate_for(q, "answer", ("9.9",), by_code.get) is None
