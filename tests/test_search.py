"""Search over the shipped knowledge base and criteria: decisions, code lookup, JSON shape.

The questions here are written for these tests (not taken from the evaluation sets): how
officers type — with and without accents, with abbreviations, short or wordy.
"""

from __future__ import annotations

import pytest

from criteria.schema import CriteriaSet
from knowledge.ask import answer_lines, render_text
from knowledge.schema import Entry
from knowledge.search import SearchIndex, SearchResult, _Query
from knowledge.text import fold
from tests.searching import answered_first
from tests.searching import decided as _decided

# (question, codes any of which the first result must concern)
CONFIDENT = [
    ("Cổng dịch vụ công quốc gia có tính vào tỷ lệ hồ sơ trực tuyến không", {"7.2.2"}),
    ("Số phó phòng vượt quy định bị trừ bao nhiêu", {"4.1.2"}),
    ("an toan thong tin mang co phuong an chua", {"7.1.4"}),
    ("công bố hệ thống quản lý chất lượng theo TCVN ISO 9001:2015", {"7.3.1"}),
    ("Quản lý sử dụng tài sản công có vi phạm", {"6.4"}),
    ("số doanh nghiệp thành lập mới giảm so với năm trước thì được mấy điểm", {"8.3.3"}),
    ("nông thôn mới đô thị văn minh", {"8.3.4"}),
    ("ke hoach ung dung cntt chuyen doi so nam 2021", {"7.1.1"}),
    ("kế hoạch đào tạo bồi dưỡng cán bộ công chức", {"5.4"}),
    ("cán bộ công chức cấp xã đạt chuẩn", {"5.5"}),
    ("quy chế chi tiêu nội bộ của UBND xã", {"6.2.1"}),
    ("tuyên truyền cải cách hành chính trên đài truyền thanh", {"1.4"}),
    ("phổ biến giáo dục pháp luật", {"2.5"}),
    ("số hóa hồ sơ kết quả giải quyết thủ tục hành chính", {"3.3.3"}),
    ("bộ phận một cửa thành lập theo nghị định 61", {"3.3.1"}),
    ("phiếu xin lỗi", {"3.4.3"}),
    ("tinh gian bien che", {"4.2.2"}),
    ("ty le giai ngan von dau tu cong", {"6.5"}),
    ("danh gia xep loai cong chuc theo nd 90", {"5.3"}),
    ("thu ngân sách nhà nước trên địa bàn", {"8.3.1"}),
    ("tiếp nhận trả kết quả qua dịch vụ bưu chính công ích", {"7.2.3"}),
    ("cổng thông tin điện tử huyện thiếu chuyên mục", {"7.1.3"}),
    ("giai quyet phan anh kien nghi ve quy dinh hanh chinh", {"3.5"}),
    ("nhiem vu ubnd tinh giao qua han", {"1.6"}),
    ("quyết định giao quyền tự chủ cho đơn vị sự nghiệp", {"6.2.2"}),
    ("ban hành văn bản quy phạm pháp luật đúng trình tự", {"2.1"}),
    ("kiem tra xu ly van ban trai phap luat", {"2.3"}),
    ("cải cách hanh chinh kế hoach năm ban hành muộn", {"1.1.1"}),
]


# Worded loosely or with a typo: the right criterion must be among the first three.
LOOSE = [
    ("bao cao dinh ky cchc quy 3 gui muon", {"1.2"}),
    ("chữ ký số trên văn bản đi chiếm bao nhiêu phần trăm thì đạt tối đa", {"7.1.2"}),
    ("tuyển dụng công chức sai quy định", {"5.2"}),
    ("hoan thanh ke hoach cchc dat 85 phan tram", {"1.1.2"}),
    ("tthc dua ra tiep nhan tai mot cua dat bao nhieu", {"3.3.2"}),
    ("kỷ luật cán bộ", {"5.6"}),
    ("tỷ lệ hồ sơ nộp trực tuyến trên tổng số hồ sơ", {"7.2.2"}),
    ("sáng kiến cải cách hành chánh được công nhận", {"1.5"}),  # "chánh": southern spelling
    ("ke hoach kiem soat thu tuc hanh chinhh", {"3.1.1", "3.1.3", "3.1"}),  # a typo
]

OUT_OF_SCOPE = [
    "thời tiết Hà Nội ngày mai",
    "lịch thi đấu đội tuyển Việt Nam",
    "công thức làm bánh flan",
    "đăng ký kết hôn cần giấy tờ gì",
    "giá xăng hôm nay",
    "cách tính thuế thu nhập cá nhân cho người làm tự do",
    "tra cứu điểm thi đại học",
    "ty gia do la hom nay",
    "Năm nay tỉnh mình xếp thứ mấy cả nước về chỉ số cải cách hành chính vậy mn",
    "Bộ Nội vụ công bố kết quả chỉ số hài lòng toàn quốc khi nào ạ",
    "đổi giấy phép lái xe ở đâu",
    "lãi suất gửi tiết kiệm ngân hàng",
    "cach lam banh mi",
    # Next to the assessment's words (written for this test): a personnel rule, another ranking,
    # a candidate's priority points, IT how-to, late pay.
    "Viên chức 2 năm liền xếp loại không hoàn thành nhiệm vụ có bị cho thôi việc không ạ",
    "xếp hạng chuyển đổi số năm nay huyện mình có phải tự chấm không",
    "tuyển dụng công chức huyện năm nay đối tượng ưu tiên được cộng bao nhiêu điểm",
    "đăng tin lên cổng ttđt huyện mà ảnh nặng quá, giảm dung lượng ảnh kiểu gì ạ",
    "tháng này lương về chậm quá, kho bạc bảo chưa có dự toán đúng không mn",
    # An early pay rise and next year's budget estimate: pay and the finance office's routine,
    # beside a rate and a budget word of ours.
    "nâng lương trước hạn năm nay tỷ lệ 15% hả mọi người",
    "lập dự toán ngân sách năm sau dùng mẫu biểu thông tư 342 hay mẫu mới ạ",
]


@pytest.mark.parametrize(("question", "codes"), CONFIDENT)
def test_confident_questions_are_answered(
    index: SearchIndex, question: str, codes: set[str]
) -> None:
    result = _decided(index, question, "answer")
    assert codes & set(result.results[0].criterion_codes), result.to_json()


@pytest.mark.parametrize(("question", "codes"), LOOSE)
def test_loose_questions_find_the_criterion_in_the_first_three(
    index: SearchIndex, question: str, codes: set[str]
) -> None:
    result = index.search(question, top=3)
    assert result.decision in ("answer", "clarify")
    assert any(codes & set(h.criterion_codes) for h in result.results[:3]), result.to_json()


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_questions_get_none(index: SearchIndex, question: str) -> None:
    result = _decided(index, question, "none")
    assert result.results == []


@pytest.mark.parametrize("question", ["kế hoạch", "báo cáo"])
def test_vague_questions_are_clarified_with_two_or_three_choices(
    index: SearchIndex, question: str
) -> None:
    result = index.search(question, top=5)
    assert result.decision == "clarify"
    assert 2 <= len(result.results) <= 3


def test_near_tie_between_criteria_is_clarified(current_set: CriteriaSet) -> None:
    same = "Hồ sơ nộp qua bưu điện có tính là hồ sơ trực tuyến không?"
    entries = [
        Entry(id="a", question=same, answer="Theo 7.2.2.", criteria=("7.2.2",), source="x"),
        Entry(id="b", question=same, answer="Theo 7.2.3.", criteria=("7.2.3",), source="x"),
    ]
    result = SearchIndex.build(entries, [current_set]).search(same)
    assert result.decision == "clarify"
    assert {h.entry_id for h in result.results[:2]} == {"a", "b"}


def test_an_empty_question_gets_none(index: SearchIndex) -> None:
    assert index.search("   ?! ").decision == "none"
    assert index.search("có được không").decision == "none"


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("tiêu chí 3.4.1", "3.4.1"),
        ("tieu chi 3.4.1", "3.4.1"),
        ("tc 3.4", "3.4"),
        ("TC7.2", "7.2"),
        ("Tiêu chí 7.2.2 tính tỷ lệ thế nào?", "7.2.2"),
        ("8.3.1", "8.3.1"),
        ("lĩnh vực 5", "5"),
    ],
)
def test_a_code_answers_with_that_criterion_first(
    index: SearchIndex, question: str, code: str
) -> None:
    result = index.search(question)
    assert result.decision == "answer"
    first = result.results[0]
    assert first.kind == "criterion"
    assert first.entry_id == f"criterion:{code}"
    assert first.criterion_codes[0] == code
    level = {0: "Lĩnh vực", 1: "Tiêu chí"}.get(code.count("."), "Tiêu chí thành phần")
    assert first.question.startswith(f"{level} {code}:")  # one name per level of the tree
    assert first.answer  # the card, in words


@pytest.mark.parametrize(
    ("question", "codes"),
    [
        ("tc 6.2 minh chung gi", ("6.2", "6.2.1", "6.2.2")),  # a group: the card names its parts
        ("tiêu chí 3.4", ("3.4", "3.4.1", "3.4.2", "3.4.3")),
        ("lĩnh vực 6", ("6",)),  # an area's card is too broad to stand for each criterion
        ("3.4.1", ("3.4.1",)),
    ],
)
def test_a_group_s_card_reports_the_codes_of_its_parts(
    index: SearchIndex, question: str, codes: tuple[str, ...]
) -> None:
    result = index.search(question)
    assert result.decision == "answer"
    assert result.results[0].criterion_codes == codes
    assert all(f"{c} " in result.results[0].answer for c in codes[1:])  # each part is named


def test_a_code_question_lists_entries_of_that_criterion_next(index: SearchIndex) -> None:
    result = index.search("tc 3.4.1 hồ sơ trễ do chờ cơ quan khác", top=3)
    assert result.results[0].entry_id == "criterion:3.4.1"
    assert all("3.4.1" in h.criterion_codes for h in result.results[1:])
    assert len(result.results) == 3


def test_an_unknown_code_is_not_invented(index: SearchIndex) -> None:
    result = index.search("tiêu chí 9.9.9")
    assert all(h.entry_id != "criterion:9.9.9" for h in result.results)


def test_every_criterion_is_found_by_its_title(
    index: SearchIndex, current_set: CriteriaSet
) -> None:
    missed = []
    for crit in current_set.walk():
        result = index.search(crit.title)
        best = result.best
        if result.decision != "answer" or best is None or crit.code not in best.criterion_codes:
            missed.append(crit.code)
    assert missed == []


def test_criterion_card_describes_points_rule_evidence_and_department(
    index: SearchIndex,
) -> None:
    hit = index.criterion_hit("3.4.1")
    assert hit is not None
    assert "tối đa 2,5 điểm" in hit.answer
    assert "Cách chấm" in hit.answer
    assert "Tài liệu kiểm chứng" in hit.answer
    assert "Văn phòng HĐND và UBND" in hit.answer


def test_to_json_has_exactly_the_documented_shape(index: SearchIndex) -> None:
    for question in ["tiêu chí 3.4.1", "kế hoạch", "giá xăng hôm nay", "phiếu xin lỗi"]:
        data = index.search(question).to_json()
        assert set(data) == {"decision", "results"}
        assert data["decision"] in ("answer", "clarify", "none")
        for row in data["results"]:
            assert set(row) == {"entry_id", "criterion_codes", "score", "question", "answer"}
            assert isinstance(row["entry_id"], str)
            assert isinstance(row["criterion_codes"], list)
            assert all(isinstance(c, str) for c in row["criterion_codes"])
            assert isinstance(row["score"], float)
            assert 0.0 <= row["score"] <= 100.0
            assert isinstance(row["question"], str) and row["question"]
            assert isinstance(row["answer"], str) and row["answer"]
        scores = [row["score"] for row in data["results"]]
        assert scores == sorted(scores, reverse=True) or data["results"][0]["entry_id"].startswith(
            "criterion:"
        )


def test_top_limits_the_results(index: SearchIndex) -> None:
    assert len(index.search("phiếu xin lỗi", top=1).results) == 1
    assert len(index.search("phiếu xin lỗi", top=5).results) <= 5


def test_accents_typed_break_ties_that_folding_creates(current_set: CriteriaSet) -> None:
    entries = [
        Entry(id="ban", question="Bàn làm việc của bộ phận", answer="1", source="x"),
        Entry(id="ban2", question="Bán tài sản công của bộ phận", answer="2", source="x"),
    ]
    index = SearchIndex.build(entries, [current_set])
    assert index.search("bán tài sản công")  # both fold to "ban"
    first = index.search("bàn làm việc bộ phận").results[0]
    assert first.entry_id == "ban"


def test_extra_entries_are_searchable(current_set: CriteriaSet) -> None:
    ruling = Entry(
        id="ruling-17",
        question="Hồ sơ bị trả lại để bổ sung có tính vào mẫu số tỷ lệ đúng hạn không?",
        answer="Không tính, theo ý kiến của Sở Nội vụ.",
        criteria=("3.4.1",),
        source="Sở Nội vụ trả lời",
    )
    index = SearchIndex.build([], [current_set], extra=[ruling])
    result = index.search("ho so tra lai bo sung co tinh vao mau so khong")
    assert result.results[0].entry_id == "ruling-17"
    assert index.entry("ruling-17") == ruling
    assert index.entries_for("3.4.1") == [ruling]


def test_answer_lines_keeps_order_and_shape(index: SearchIndex) -> None:
    lines = ["tiêu chí 6.5\n", "\n", "giá xăng hôm nay\n"]
    out = list(answer_lines(index, lines, top=2))
    assert len(out) == 3
    assert out[0]["results"][0]["entry_id"] == "criterion:6.5"
    assert out[0]["question"] == "tiêu chí 6.5"
    assert out[1] == {
        "question": "",
        "decision": "none",
        "empty": True,
        "results": [],
        "estimate": None,
    }
    assert out[2]["decision"] == "none"


def test_render_text_speaks_vietnamese_for_each_decision(index: SearchIndex) -> None:
    answer = render_text(index.search("tiêu chí 3.4.3"))
    assert "Tiêu chí thành phần 3.4.3" in answer
    clarify = render_text(index.search("kế hoạch"))
    assert clarify.startswith("Có phải bạn hỏi")
    none = render_text(SearchResult("x", "none", []))
    assert "Chưa có câu trả lời" in none


def test_replace_with_swaps_contents_in_place(current_set: CriteriaSet) -> None:
    entry = Entry(id="e1", question="Câu hỏi thử về phiếu xin lỗi", answer="a", source="x")
    held = SearchIndex.build([], [current_set])
    assert held.entry("e1") is None
    held.replace_with(SearchIndex.build([entry], [current_set]))
    assert held.entry("e1") == entry
    assert held.search("câu hỏi thử về phiếu xin lỗi").results[0].entry_id == "e1"


def test_a_neighbouring_topic_needs_a_close_match_without_the_assessments_words(
    index: SearchIndex,
) -> None:
    # How appointments work is not how they are scored: no assessment word, a loose match.
    plain = index.search(
        "trưởng phòng hết thời hạn bổ nhiệm thì điều kiện bổ nhiệm lại gồm những gì"
    )
    assert plain.decision == "none"
    # The same kind of closeness with the assessment's words is a question about scoring.
    scored = index.search("kiểm tra CCHC các xã năm nay được 8/19 xã thì chấm sao")
    assert scored.decision != "none" and "1.3.1" in scored.results[0].criterion_codes


def test_a_situation_told_in_the_assessments_words_makes_the_question_ours(
    index: SearchIndex,
) -> None:
    # The ask has none of the assessment's words, the situation does ("bảng tự chấm … để tối
    # đa"): the likeliest criteria, not "none" (before: refused for too little covered).
    told = index.search(
        "Chào anh chị. Năm nay đoàn kiểm tra CCHC của huyện đi được 4 xã trên tổng 20 xã và 3 "
        "phòng, bảng tự chấm bên em đang để tối đa. Em thấy chưa đủ 30% thì có phải hạ xuống "
        "không ạ?"
    )
    assert told.decision != "none" and "1.3.1" in told.results[0].criterion_codes
    # Not when the ask is for a task or a fact: fixing a spreadsheet, the base salary.
    for question in (
        "Em ở Văn phòng, đang làm bảng tự chấm. Excel của em tính tỷ lệ ra lỗi chia cho 0, "
        "sửa sao mn?",
        "Em đang làm hồ sơ chấm điểm CCHC. Cho em hỏi lương cơ sở năm nay là bao nhiêu?",
    ):
        assert index.search(question).decision == "none", question


def test_a_code_said_aloud_is_the_code(index: SearchIndex) -> None:
    said = index.search("tiêu chí ba chấm bốn chấm một chấm điểm thế nào")
    assert said.decision == "answer" and said.results[0].criterion_codes == ("3.4.1",)


def test_teencode_function_words_are_not_corrected_into_topic_words(index: SearchIndex) -> None:
    from knowledge.chat import read_message

    # "thui" is "thôi": read as a word, it is no typo for "thu" (the budget's revenue, 8.3.1).
    msg = read_message("số hóa hồ sơ bên e mới đc 30% thui, tính điểm ntn z")
    assert index._respell(msg) is None
    found = index.search("số hóa hồ sơ bên e mới đc 30% thui, tính điểm ntn z")
    assert found.decision != "none" and found.results[0].criterion_codes == ("3.3.3",)


@pytest.mark.parametrize(
    ("typed", "not_read_as"),
    [
        ("7.1.2 lấy data ở đâu vậy ạ", "dat"),  # English: no slip for "đất"
        ("cuối tuần phòng mình đi team building ở đâu", "tram"),
        ("camera ở một cửa lưu được bao nhiêu ngày", " ca "),
        ("hnay em nộp báo cáo được không", "hay"),  # chat shorthand for "hôm nay"
        ("mục qly tài sản công bị trừ hả", "quy"),
    ],
)
def test_loanwords_and_chat_abbreviations_are_not_corrected_into_other_words(
    index: SearchIndex, typed: str, not_read_as: str
) -> None:
    from knowledge.chat import read_message

    respelt = index._respell(read_message(typed))
    assert respelt is None or not_read_as not in " " + fold(respelt.lower()) + " "


@pytest.mark.parametrize(
    ("question", "code"),
    [
        (
            "Số phó phòng của phòng Tư pháp vượt 1 người so với quy định thì bị trừ mấy điểm ạ. "
            "Tiện hỏi trưa nay ai đặt cơm văn phòng không",
            "4.1.2",
        ),
        (
            "quy chế chi tiêu nội bộ chưa sửa theo quy định mới thì có bị trừ điểm không ạ. Với "
            "lại ai biết giá xăng hôm nay không",
            "6.2.1",
        ),
        # Without accents the remark shares one syllable with the ask, two words apart: "may"
        # is "mấy điểm" there and "máy in" here.
        (
            "ke hoach cchc ban hanh tre 1 thang thi bi tru may diem a. tien hoi may in tang 2 "
            "hong roi goi ai sua",
            "1.1.1",
        ),
        ("so hoa ho so dat 40 % thi duoc may diem a. tien hoi may scan hong thi goi ai", "3.3.3"),
    ],
)
def test_a_side_remark_on_something_else_does_not_refuse_the_real_ask(
    index: SearchIndex, question: str, code: str
) -> None:
    found = index.search(question)
    assert found.decision == "answer" and found.results[0].criterion_codes == (code,)


def test_parts_share_a_topic_by_two_words_or_one_that_reads_one_way() -> None:
    from knowledge.search import _shares_topic

    assert not _shares_topic(frozenset({"may", "diem"}), frozenset({"may", "in"}))
    assert _shares_topic(frozenset({"máy", "điểm"}), frozenset({"máy", "in"}))  # accented
    assert _shares_topic(frozenset({"tc", "ntm"}), frozenset({"tc", "dat"}))  # "tiêu chí"
    assert _shares_topic(frozenset({"ho", "so", "tre"}), frozenset({"ho", "so", "xa"}))
    assert not _shares_topic(frozenset({"ho"}), frozenset({"so"}))


@pytest.mark.parametrize(
    "question",
    [
        # Every part off topic.
        "Hôm nay trời mưa to quá. Ai có áo mưa cho em mượn không?",
        # The assessment is the situation; the ask is about something else.
        "Phòng em tự chấm xong rồi. Cho em hỏi lương cơ sở năm nay bao nhiêu ạ?",
        # A story about the assessment's meeting, asking how to behave: no part is a question
        # in the assessment's words.
        "Hai anh trong phòng cãi nhau trong cuộc họp tự chấm, không ai chịu ký biên bản. Em nên "
        "xử sự thế nào ạ?",
    ],
)
def test_a_message_with_no_part_of_ours_stays_refused(index: SearchIndex, question: str) -> None:
    assert index.search(question).decision == "none"


def test_what_citizens_submit_for_a_procedure_is_not_the_assessments_evidence(
    index: SearchIndex,
) -> None:
    # "nộp" said of citizens is the procedure's papers (before: an evidence ask, clarified).
    _, q = index.read(
        "Có người dân làm thủ tục cấp lại giấy chứng nhận quyền sử dụng đất, người dân phải nộp "
        "những giấy tờ gì ạ?"
    )
    assert not q.intent
    # … said of the district, it is the evidence asked about.
    answered_first(
        index,
        "Công khai thủ tục tại bộ phận một cửa thì huyện phải nộp những giấy tờ gì làm minh "
        "chứng?",
        "3.2",
    )


def test_abbreviations_spelt_out_by_voice_typing_are_the_abbreviations(
    index: SearchIndex,
) -> None:
    # Speech-to-text writes the letters' names: "xê xê hát xê" is CCHC, "tê tê hát xê" TTHC.
    assert "cchc" in index.read("kế hoạch xê xê hát xê năm nay ban hành chậm")[1].uniq
    assert "tthc" in index.read("tê tê hát xê cấp huyện")[1].uniq
    assert "cchc" not in index.read("xe ô tô của cơ quan hát karaoke")[1].uniq


def test_making_evidence_is_asked_in_the_assessments_words(index: SearchIndex) -> None:
    # A screenshot or a scan is how officers evidence a criterion: said of a criterion's topic,
    # the question is about the assessment (before: "none", for too little of it covered).
    shot = index.search(
        "tin bài cchc trên trang thông tin điện tử huyện thì chụp màn hình từng bài hay lập "
        "danh sách đường link"
    )
    assert shot.decision == "answer" and "1.4" in shot.results[0].criterion_codes
    # How to take a screenshot or fix a scanner is an IT how-to, not evidence.
    assert index.search("cách chụp màn hình trên máy tính win 10").decision == "none"
    assert index.search("máy scan của phòng bị kẹt giấy thì gọi ai sửa").decision == "none"


@pytest.mark.parametrize(
    "question",
    [
        "phòng em viết tay giấy xin lỗi dân chứ không in mẫu thì có hợp lệ không",
        "phong em viet tay giay xin loi dan chu khong in mau thi co hop le khong",
    ],
)
def test_an_unsure_question_of_ours_is_clarified_not_refused(
    index: SearchIndex, question: str
) -> None:
    # None of the assessment's own words and little of it covered, but it asks whether
    # something meets a rule and names nothing off topic: the likeliest criteria, not "none".
    result = _decided(index, question, "clarify")
    assert "3.4.3" in result.results[0].criterion_codes
    assert 2 <= len(result.results) <= 3


def test_the_band_clarified_without_the_assessments_words_is_the_calibrated_one() -> None:
    # Below the bars, a question with nothing off topic is clarified from a score of 42 and a
    # coverage of 0.40 (calibrated on every tuning set: 44 → 42 in the seventeenth session, +4
    # top-3 for −1 out of scope over 116 tuning sets); a word of another topic, or an ask for a
    # task, still refuses it.
    q = _Query(accents=True)
    assert SearchIndex._unsure_in_domain(q, 42.0, 0.40)
    assert not SearchIndex._unsure_in_domain(q, 42.0, 0.39)
    assert not SearchIndex._unsure_in_domain(q, 41.9, 0.90)
    q.foreign = 1.0
    assert not SearchIndex._unsure_in_domain(q, 60.0, 0.90)
    q.foreign, q.task = 0.0, True
    assert not SearchIndex._unsure_in_domain(q, 60.0, 0.90)


@pytest.mark.parametrize(
    "question",
    [
        # The same words, asking how much a task costs: about the task, not the assessment.
        "phòng em viết tay giấy xin lỗi dân chứ không in mẫu thì có mất phí không",
        # Words of ours (bộ phận tiếp nhận), asking which machine to buy.
        "bộ phận tiếp nhận ở xã thiếu máy tính, đề xuất mua thì loại nào tốt",
        # Weather, in words that are also ours without accents ("mua").
        "mai ở huyện có mưa không",
        # Everyday asks that meet one or two of our words by chance.
        "mai em xin nghỉ được không",
        "mua xe máy trả góp được không",
        # Matched well enough to pass the bars, but asking how long a procedure takes or where
        # to register, without the assessment's words.
        "đăng ký hộ kinh doanh ở bộ phận một cửa huyện thì mất bao lâu",
        "trang thông tin điện tử huyện đổi tên miền thì đăng ký ở đâu",
    ],
)
def test_a_question_about_something_else_is_refused_even_with_shared_words(
    index: SearchIndex, question: str
) -> None:
    result = _decided(index, question, "none")
    assert result.results == []


def test_a_task_ask_that_matches_very_well_is_still_answered(index: SearchIndex) -> None:
    # "theo mẫu nào" asks for a template, but the apology slip's template is ours.
    result = _decided(index, "phiếu xin lỗi trễ hẹn theo mẫu nào vậy mn", "answer")
    assert "3.4.3" in result.results[0].criterion_codes


def test_level_siblings_are_found_in_the_criteria_set(index: SearchIndex) -> None:
    # 3.4.1 and 3.4.2 say the same but for the level (cấp huyện, cấp xã); 8.1 and 8.2 name
    # both levels among other words and are no such pair.
    assert index._levels == (frozenset({"3.4.1"}), frozenset({"3.4.2"}))


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("thị trấn giải quyết hồ sơ đúng hẹn được 93% thì chấm mục nào", "3.4.2"),
        ("các xã chưa cập nhật hồ sơ lên phần mềm thì tỷ lệ đúng hạn tính sao", "3.4.2"),
        ("xã em trả kết quả hồ sơ trễ nhiều thì huyện có bị trừ phần đúng hạn không", "3.4.2"),
        ("hồ sơ giải quyết đúng hạn năm nay đạt 97% thì được mấy điểm", "3.4.1"),
        ("tỷ lệ hồ sơ trả đúng hẹn tính cả hồ sơ trả trước hẹn không", "3.4.1"),
    ],
)
def test_the_level_a_question_speaks_of_picks_the_sibling(
    index: SearchIndex, question: str, code: str
) -> None:
    result = index.search(question)
    assert result.decision != "none"
    assert result.results[0].criterion_codes == (code,)


def test_title_words_order_the_candidates_but_leave_their_scores(index: SearchIndex) -> None:
    # "hài lòng" is the wording of 8.2's title, not of 8.1's (the officials' survey): of two
    # rows scored alike, 8.2's comes first, and the scores stay as they were.
    _assert_title_order_puts_first(
        index, "phiếu khảo sát mức độ hài lòng của người dân chấm thế nào", "8.2", "8.1"
    )


def _assert_title_order_puts_first(
    index: SearchIndex, question: str, first: str, second: str
) -> None:
    """Of two rows scored alike, ``first``'s criterion goes first whichever order they come
    in, and the scores stay as they were."""
    _, q = index.read(question)
    index._rank(q)  # sets the question's topic mass
    a, b = index._criterion_target[first], index._criterion_target[second]
    rows = [(b, 50.0, 0.5), (a, 50.0, 0.5)]
    assert index._title_order(q, rows) == [(a, 50.0, 0.5), (b, 50.0, 0.5)]
    assert index._title_order(q, rows[::-1]) == [(a, 50.0, 0.5), (b, 50.0, 0.5)]


def test_everyday_words_count_for_the_title_order(index: SearchIndex) -> None:
    # "bc quý 3" stands for the periodic CCHC report (1.2's title), not for the report on
    # following up the law (2.4), although both are reports sent late.
    result = index.search("bc quy 3 nop cham 5 ngay thi tinh sao ak")
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("1.2",)


def test_a_criterion_s_name_is_its_title_before_the_colon() -> None:
    from knowledge.search import _name_words, _says_name

    assert _name_words("Phổ biến, giáo dục pháp luật") == (("pbgdpl", "pbgdpl"),)
    assert _name_words("Vị trí việc làm: danh mục được phê duyệt; 100% công chức") == (
        ("vtvl", "vtvl"),
    )
    # Function words are left out ("theo"), and what follows "(" is not the name.
    assert [f for f, _ in _name_words("Theo dõi thi hành pháp luật (kế hoạch năm)")] == [
        "doi",
        "thpl",
    ]
    name = _name_words("Thực hiện nhiệm vụ UBND tỉnh giao")
    said = frozenset("thuc hien nhiem vu ubnd tinh giao".split())
    assert _says_name(name, said, {})  # typed without accents: "tinh" may be "tỉnh"
    assert _says_name(name, said, {"tinh": "tỉnh"})
    # "tính" (to count) is not "tỉnh" (the province): the name is not said.
    assert not _says_name(name, said, {"tinh": "tính"})
    assert not _says_name(name, said - {"ubnd"}, {})


def test_unaccented_tinh_before_a_frame_word_is_the_verb_not_the_province(
    index: SearchIndex,
) -> None:
    # Written for this test. "tinh tren", "tinh vao", "tinh diem" is "tính" (to count): it is
    # not read as "tỉnh", the province of 1.6's "nhiệm vụ UBND tỉnh giao".
    for question in (
        "ty le hoan thanh ke hoach tinh tren 40 nhiem vu hay 32",
        "nhiem vu lui sang nam sau co tinh vao ty le hoan thanh khong",
        "ke hoach cntt lam xong 9 tren 10 viec thi tinh diem sao",
    ):
        _, q = index.read(question)
        assert "tinh" not in q.uniq, question
    # The province, where the next word is no frame word, or typed with its accents.
    for question in (
        "nhiem vu cua tinh giao cho huyen bi tre han",
        "nhiệm vụ tỉnh trên giao cho huyện bị trễ hạn",
    ):
        _, q = index.read(question)
        assert "tinh" in q.uniq, question


def test_a_criterion_named_in_the_question_goes_first_of_rows_scored_alike(
    index: SearchIndex,
) -> None:
    # Written for this test: the case is told in 1.4's words (tuyên truyền, hội nghị, ảnh) but
    # the question names 2.5 ("phổ biến, giáo dục pháp luật"), whose evidence it asks about.
    _assert_title_order_puts_first(
        index,
        "ảnh hội nghị tuyên truyền ở xã làm minh chứng phổ biến giáo dục pháp luật",
        "2.5",
        "1.4",
    )


def test_naming_the_criterion_outweighs_a_neighbour_s_everyday_words(index: SearchIndex) -> None:
    # "cán bộ công chức cấp xã" is 5.5's wording (the communes' officials meeting the
    # standard), but the question names 5.1 ("vị trí việc làm") and asks what it covers.
    result = index.search("đề án vị trí việc làm có tính cán bộ công chức cấp xã không")
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("5.1",)


def test_a_general_entry_ahead_defers_to_the_closest_criterion_not_the_first(
    index: SearchIndex,
) -> None:
    # A general entry scores best; the criterion the question names was put first of the
    # criteria by the title order although a neighbour scored closer. The clarifying offer
    # depends on how close the closest criterion is, and keeps the order.
    _, q = index.read(
        "minh chứng phổ biến giáo dục pháp luật của huyện gồm kế hoạch, báo cáo hay cả ảnh hội"
        " nghị tuyên truyền ở xã"
    )
    index._rank(q)  # sets what matching each word is worth
    general = index._entries["chung-tlkc-anh-chup-mang-xa-hoi"]
    t14, t25 = index._criterion_target["1.4"], index._criterion_target["2.5"]
    scored = [(general, 48.0, 0.5), (t25, 40.0, 0.3), (t14, 46.0, 0.4)]
    result = index._general_weak("q", q, scored, 3)
    assert result.decision == "clarify"
    assert [h.criterion_codes for h in result.results] == [("2.5",), ("1.4",)]


def test_an_item_called_y_with_its_code_is_that_criterion(index: SearchIndex) -> None:
    # "ý 5.4" is how officers point at an item of the set; "ý 3" alone is no code.
    result = index.search("ý 5.4 chấm sao")
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("5.4",)


def test_what_a_question_counts_is_read_after_its_numbers() -> None:
    from knowledge.search import _counted

    assert _counted("nhan 3.000 hs thi 900 hs nop qua mang".split()) == {"hs"}
    assert _counted("co 200 thu tuc co dvc".split()) == {"tthc"}
    assert _counted("kh co 12 viec xong 9 viec".split()) == {"nhiem"}
    assert _counted("dat 95 phan tram".split()) == {"phan"}
    assert _counted("khong co so nao".split()) == frozenset()


def test_the_nouns_counted_order_the_criteria_whose_ratio_counts_them(
    index: SearchIndex,
) -> None:
    # 3.1.3 is a ratio of tasks done; 3.1.1 (the plan issued) counts nothing.
    assert index._units[index._criterion_target["3.1.3"]] == {"nhiem"}
    assert index._units[index._criterion_target["7.2.1"]] == {"tthc"}
    assert index._units[index._criterion_target["7.2.2"]] == {"hs"}
    assert not index._units[index._criterion_target["3.1.1"]]
    result = index.search("kh kiểm soát thủ tục có 12 việc, mới xong 9 việc thì được mấy điểm")
    assert result.results[0].criterion_codes == ("3.1.3",)


def test_counts_and_deductions_order_by_what_they_count(index: SearchIndex) -> None:
    # A count or a deduction counts its unit as a ratio counts its denominator: 7.2.3 the
    # files sent through the post, 1.2 the reports sent late, 7.1.3 the missing sections.
    units = index._units
    assert units[index._criterion_target["7.2.3"]] == {"hs"}
    assert units[index._criterion_target["1.2"]] == {"bc"}
    assert units[index._criterion_target["7.1.3"]] == {"chuyen"}
    assert not units[index._criterion_target["7.3.1"]]  # yes/no: counts nothing
    # Questions written for this test: "3 hồ sơ" asked about the postal service's own item.
    _, q = index.read("năm nay chỉ có 3 hồ sơ gửi qua bưu điện thì mục bưu chính công ích ra sao")
    assert q.counted == {"hs"}
    answered_first(
        index, "năm nay chỉ có 3 hồ sơ gửi qua bưu điện thì mục bưu chính công ích ra sao", "7.2.3"
    )


def test_the_twin_of_the_level_spoken_of_shares_its_sibling_s_words(index: SearchIndex) -> None:
    # 3.4.1 (district files) has many entries in everyday words, 3.4.2 (commune files) few: when
    # a question speaks of communes, 3.4.2 is worth nearly the best of 3.4.1's rows (its own
    # texts matched less), and 3.4.1's rows are scored down, so the level spoken of decides.
    t341 = index._entries["tc-3-4-1-cach-tinh"]
    t342 = index._criterion_target["3.4.2"]
    _, q = index.read("xã em phần mềm báo trễ mấy hồ sơ thì tính sao")
    index._rank(q)  # sets the question's topic mass
    assert index._levels is not None
    out = index._by_level(q, [(t341, 50.0, 0.5)], index._levels)
    assert [t for t, _, _ in out] == [t342, t341]
    assert out[0][1] == pytest.approx(48.0) and out[1][1] == pytest.approx(46.0)
    # A text of 3.4.2 that already matches better keeps its own score; without a commune in
    # the question, 3.4.1's rows stay first.
    out = index._by_level(q, [(t342, 49.0, 0.5), (t341, 50.0, 0.5)], index._levels)
    assert out[0] == (t342, 49.0, 0.5)
    _, q = index.read("phần mềm báo trễ mấy hồ sơ thì tính sao")
    index._rank(q)
    out = index._by_level(q, [(t341, 50.0, 0.5)], index._levels)
    assert out[0] == (t341, 50.0, 0.5)
    question = (
        "xã bên mình quên bấm kết thúc hồ sơ trên phần mềm nên bị báo trễ, tỷ lệ đúng hạn tính sao"
    )
    answered_first(index, question, "3.4.2")


def test_an_ask_that_points_at_the_situation_weighs_it_as_the_ask(index: SearchIndex) -> None:
    from knowledge.chat import read_message
    from knowledge.search import _pointing

    # Written for this test: the ask names no topic, "phần này" points at the situation's.
    question = (
        "Năm nay huyện em cho dân nộp lệ phí bằng ví điện tử và chuyển khoản trên cổng dịch vụ "
        "công. Cho em hỏi phần này chấm điểm thế nào ạ?"
    )
    assert _pointing(read_message(question).tokens)
    _, q = index.read(question)
    assert q.weight["khoan"] == 1.0  # a situation word, weighed as the ask's
    answered_first(index, question, "7.2.4")
    # Typed without accents, "muc nay" points too; "năm nay" and an ask alone do not.
    assert _pointing(read_message("xa em co 3 hs tre. muc nay tinh sao").tokens)
    assert not _pointing(read_message("Xã em có 3 hồ sơ trễ. Năm nay tính sao?").tokens)
    assert not _pointing(read_message("phần này tính điểm thế nào").tokens)


def test_a_sum_counts_what_its_parts_count(index: SearchIndex) -> None:
    # 2.5 (a plan, plus a ratio of its tasks done) counts tasks like 1.1.2 and 3.1.3; 5.1 (a
    # list approved, plus a ratio of civil servants placed) counts civil servants.
    assert index._units[index._criterion_target["2.5"]] == {"nhiem"}
    assert index._units[index._criterion_target["5.1"]] == {"cong"}


def test_telling_people_about_the_law_is_one_activity_whatever_it_is_called() -> None:
    from knowledge.text import analyze

    # "tuyên truyền / phổ biến / giáo dục pháp luật" is 2.5's activity (pbgdpl), not the
    # propaganda about CCHC of 1.4 ("tuyên truyền cchc").
    said_so = ("tuyên truyền pháp luật", "phổ biến pháp luật", "tuyen truyen, pho bien phap luat")
    for said in said_so:
        assert analyze(said).folded == ("pbgdpl",), said
    assert analyze("tuyên truyền cải cách hành chính").folded == ("tuyen", "truyen", "cchc")


def test_asking_pairs_typed_without_accents_are_not_topic_words(index: SearchIndex) -> None:
    # "bao nhieu diem" is bao nhiêu, "may diem" mấy điểm, although the index knows the pairs
    # "nhiều điểm" and "mấy điểm"; "may chu" (máy chủ) stays a topic.
    for question in ("ty le dung han 97% thi duoc bao nhieu diem", "bn diem", "dc may diem"):
        _, q = index.read(question)
        assert not q.counts.get("nhieu") and not q.counts.get("may"), question
    _, q = index.read("may chu bi hack thi sao")
    assert q.counts.get("may")


def test_words_said_in_an_everyday_phrase_are_covered_where_its_meaning_is(
    index: SearchIndex,
) -> None:
    # "kh cải cách" stands for "kế hoạch CCHC năm" (1.1.1): its words "cải cách" count as covered
    # by 1.1.1, whose texts say "cchc", not "cải cách" alone (written for this test).
    _, q = index.read("kh cải cách ký muộn thì mất mấy điểm")
    index._rank(q)  # sets the question's topic mass
    t111 = index._criterion_target["1.1.1"]
    assert q.said_for["cai"] == [("kh", "cchc", "nam")]
    with_meaning = index._topic_coverage(q, t111)
    q.said_for = {}
    assert with_meaning > index._topic_coverage(q, t111)
    # Not when the question names an off-topic thing: its own words only.
    _, q = index.read("bị kỷ luật cảnh cáo thì có được đưa vào quy hoạch lãnh đạo không")
    index._rank(q)
    assert q.foreign
    t56 = index._criterion_target["5.6"]
    before = index._topic_coverage(q, t56)
    q.said_for = {}
    assert index._topic_coverage(q, t56) == before


def test_candidates_in_array_operations_match_the_running_totals(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two ways of summing the postings (a dict of running totals, or array operations
    above ``_VECTOR_POSTINGS`` postings read) choose the same candidates in the same order."""
    from knowledge import search

    questions = [q for q, _ in CONFIDENT + LOOSE]
    chosen = {}
    for threshold in (0, 10**9):
        monkeypatch.setattr(search, "_VECTOR_POSTINGS", threshold)
        chosen[threshold] = [index._candidates(index.read(q)[1]) for q in questions]
    assert chosen[0] == chosen[10**9]
    assert all(chosen[0])


def test_equal_candidate_scores_keep_the_order_the_targets_were_met_in(
    index: SearchIndex,
) -> None:
    """Ties (here every weight scaled to 0): the target met first goes first, as with the
    running totals (a stable sort of the targets in the order they were met)."""
    lo, hi = max(index._postings.values(), key=lambda span: span[1] - span[0])
    mid = (lo + hi) // 2
    spans = [(mid, hi, 0.0), (lo, mid, 0.0)]
    met = list(dict.fromkeys([*index._post_ids[mid:hi], *index._post_ids[lo:mid]]))
    assert index._candidates_np(spans) == met[:20]


@pytest.mark.parametrize(
    "question",
    [
        "xa em 100% dung han ma cac xa khac keo huyen xuong 91% thi diem phan nay con bao nhieu",
        "xã em đạt 100% đúng hạn mà mấy xã khác kéo cả huyện xuống còn 92% thì phần này huyện còn "
        "mấy điểm",
    ],
)
def test_a_percentage_is_a_quantity_that_matches_no_text(
    index: SearchIndex, question: str
) -> None:
    # "92%" is the officer's figure, not a topic word: a text that happens to say "92%" (an
    # example on 5.5, commune civil servants meeting the standards) gains nothing from it, and
    # the commune files settled on time (3.4.2) come first.
    result = index.search(question)
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("3.4.2",)
    assert all(h.criterion_codes != ("5.5",) for h in result.results[:3])


def test_a_criterion_named_goes_before_a_general_entry_that_scores_better(
    index: SearchIndex,
) -> None:
    # Written for this test: photos as evidence is a general entry (on no criterion) and scores
    # best, but the question names 2.5 ("phổ biến giáo dục pháp luật"), whose evidence it asks.
    question = "phần phổ biến giáo dục pháp luật nộp gì làm minh chứng, có cần ảnh chụp không ạ"
    _, q = index.read(question)
    rows = index._rerank(q, index._candidates(q))
    rows.sort(key=lambda r: -r[1])
    assert not index._targets[rows[0][0]].codes  # the general entry scores best ...
    result = index.search(question)
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("2.5",)  # ... the named criterion goes first
    assert any(not h.criterion_codes for h in result.results[1:])  # the entry is still offered


def test_a_criterion_named_before_a_general_entry_takes_the_entry_s_score(
    index: SearchIndex,
) -> None:
    # Written for this test: a deduction told, then what to add to explain it. A general entry
    # (explaining a deduction) matches best; the question names 2.5, which matches weakly: it
    # goes first with the entry's score, not below the bars ("none").
    question = (
        "phần phổ biến giáo dục pháp luật bị tỉnh ghi thiếu minh chứng kết quả, giờ em bổ sung"
        " tài liệu gì để giải trình ạ"
    )
    _, q = index.read(question)
    rows = sorted(index._rerank(q, index._candidates(q)), key=lambda r: -r[1])
    named = next(s for t, s, _ in rows if index._targets[t].codes == ("2.5",))
    assert not index._targets[rows[0][0]].codes and named < rows[0][1]
    ordered = index._rank(q)
    assert index._targets[ordered[0][0]].codes == ("2.5",)
    assert ordered[0][1] == rows[0][1]
    result = index.search(question)
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("2.5",)


def test_a_criterion_named_before_a_general_entry_takes_the_entry_s_coverage(
    index: SearchIndex,
) -> None:
    # Written for this test: which form of the plan to submit (a general entry on file formats
    # matches best) for the plan named in the question; the plan's group card goes first, with
    # the entry's score and how much of the question the entry covers: not refused as
    # covering too little.
    question = (
        "ke hoach cchc nam nay nop ban scan co dau do hay file pdf ky so xuat tu phan mem qlvb,"
        " so ky hieu ghi o dau"
    )
    _, q = index.read(question)
    ordered = index._rank(q)
    lead, entry = ordered[0], ordered[1]
    assert "1.1.1" in index._hit(lead[0], lead[1]).criterion_codes
    assert not index._targets[entry[0]].codes
    assert lead[1:] == entry[1:]  # the entry's score and coverage
    result = index.search(question)
    assert result.decision != "none"
    assert "1.1.1" in result.results[0].criterion_codes


def test_a_situation_told_in_our_words_clarifies_beside_a_general_entry(
    index: SearchIndex,
) -> None:
    # Written for this test: the situation is told in the assessment's words (chấm điểm, quyết
    # định công bố ISO), the ask in none ("có kịp tính không"); general entries on the
    # assessment's dates match best, weakly. Not refused: the likeliest criteria are offered.
    result = index.search(
        "Huyện mình năm 2021 mới bắt đầu xây dựng hệ thống ISO 9001, thuê tư vấn từ tháng 5, đến"
        " 22/12 lãnh đạo mới ký quyết định công bố, trong khi số liệu chấm điểm chốt tới 30/11."
        " Vậy quyết định ký trễ như vậy có kịp tính cho năm nay không ạ?"
    )
    assert result.decision == "clarify"
    assert any(c.startswith("7.3") for h in result.results for c in h.criterion_codes)


def test_points_given_as_a_bare_figure_are_asked_about(index: SearchIndex) -> None:
    # Written for this test: "bị 0,5" is a score asked about without "điểm" …
    answered_first(
        index, "trung tâm văn hóa huyện chưa được giao tự chủ thì có bị 0,5 ko", "6.2.2"
    )
    # … but "được 2 hồ sơ" counts files: no score is read into it.
    _, q = index.read("huyện được 2 hồ sơ trễ hạn")
    assert not q.intent
    # A score that drops to a figure ("về 0 luôn") is asked about too.
    _, q = index.read("báo cáo quý quên gửi thì phần đó có bị về 0 luôn không")
    assert q.intent


def test_offices_named_as_the_options_of_who_scores_are_not_the_topic(index: SearchIndex) -> None:
    # Written for this test. Asked which office scores an item, the offices are the ask's
    # options: an entry on who scores the portal (7.1.3), full of the same office names, must
    # not answer for the item asked about (electronic documents, 7.1.2).
    result = index.search(
        "Mục gửi văn bản qua mạng có ký số thay bản giấy thì Văn phòng chấm hay Phòng Văn hóa và"
        " Thông tin chấm vậy?"
    )
    assert result.decision != "none"
    assert not (result.decision == "answer" and result.results[0].criterion_codes == ("7.1.3",))
    assert any("7.1.2" in h.criterion_codes for h in result.results)
    complaints = index.search(
        "phan gop y phan anh cua dan ve thu tuc ruom ra thi van phong cham hay thanh tra cham"
    )
    assert any("3.5" in h.criterion_codes for h in complaints.results)
    # The offices abbreviated as officers write them ("vh tt", "VH&TT") are options too.
    short = index.search("ky so van ban di thi phong nao cham, vp hay vh tt")
    assert short.results[0].criterion_codes == ("7.1.2",)
    # "ai chịu trách nhiệm chấm" asks which office scores it too.
    held = index.search(
        "Mục ai chịu trách nhiệm chấm phần hồ sơ trễ của các xã, văn phòng hay nội vụ"
    )
    assert held.results[0].criterion_codes == ("3.4.2",)
    # Only for such an ask: otherwise an office's words weigh as they are.
    _, plain = index.read("văn phòng ubnd huyện gửi văn bản qua mạng có ký số")
    _, who = index.read("văn phòng chấm hay phòng nội vụ chấm phần văn bản qua mạng có ký số")
    assert who.weight["phong"] < plain.weight["phong"]


def test_a_task_asked_about_a_situation_told_in_our_words_is_not_refused(
    index: SearchIndex,
) -> None:
    # Written for this test: the situation is the assessment's ("để chấm phần đạt chuẩn"), the
    # ask a task ("theo mẫu nào") and a judgement: the criterion, not "none".
    result = index.search(
        "Em đang lập bảng thống kê trình độ công chức cấp xã để chấm phần đạt chuẩn. Bảng này lập"
        " theo mẫu nào, người đang học liên thông thì tính đạt hay chưa ạ?"
    )
    assert result.decision != "none"
    assert result.results[0].criterion_codes == ("5.5",)
    # A task with nothing of the assessment around it is still refused.
    assert index.search("thủ tục cấp giấy phép xây dựng lập theo mẫu nào ạ").decision == "none"


@pytest.mark.parametrize(
    ("question", "flag"),
    [
        # Written for these tests. A score lowered, an explanation to the appraisal: the
        # assessment's own acts, said without "điểm" or "chấm".
        ("đoàn thẩm định hạ xuống còn một nửa vì thiếu ảnh buổi họp", "intent"),
        ("em có được giải trình lại mục tuyên truyền không", "intent"),
        # Which source a figure is taken from, which counts: a judgement a criterion makes.
        ("số liệu số hóa hồ sơ lấy số của phần mềm một cửa hay của cổng dịch vụ công", "judge"),
        ("phòng tư pháp xong 9 trên 10 việc, 1 việc trễ mốc thì vẫn tính đủ hả", "judge"),
    ],
)
def test_a_lowered_score_or_a_figures_source_is_asked_in_the_assessments_terms(
    index: SearchIndex, question: str, flag: str
) -> None:
    _, q = index.read(question)
    assert getattr(q, flag)


def _weighed(index: SearchIndex, question: str) -> tuple[_Query, int]:
    """``question`` read and weighed (ranking sets its words' weights), and a general entry's
    target (on no criterion) to put in made-up rows."""
    _, q = index.read(question)
    index._rank(q)
    return q, next(t for t, tg in enumerate(index._targets) if not tg.codes)


def test_a_criterion_holding_the_whole_topic_is_offered_beside_a_weak_general_entry(
    index: SearchIndex,
) -> None:
    # A general entry (on no criterion) first, covering little; a criterion among the first
    # rows holds every topic word of the question: that criterion is offered first.
    q, general = _weighed(index, "mức độ hài lòng của người dân")
    survey = index._criterion_target["8.2"]
    other = index._criterion_target["1.1.1"]
    rows = [(general, 55.0, 0.1), (other, 40.0, 0.2), (survey, 35.0, 0.5)]
    offered = index._whole_topic(q, rows)
    assert [index._targets[t].codes for t, _ in offered] == [("8.2",), ("1.1.1",)]
    # Not when a criterion matches best, nor when the question names another topic.
    assert index._whole_topic(q, [rows[2], rows[0]]) == []
    q.foreign = 1.0
    assert index._whole_topic(q, rows) == []


@pytest.mark.parametrize(
    ("question", "flag", "expected"),
    [
        # Written for these tests. What to send up is an evidence ask, like what to submit.
        ("để huyện tổng hợp phần tuyên truyền xã cần gửi những tài liệu gì lên", "intent", True),
        # "không phát sinh" (no case arose) is how an item drops out of the assessment.
        ("năm nay xã không phát sinh phản ánh nào thì giấy xác nhận ai ký", "intent", True),
        # A procedure the citizens carry out is the situation, not a task the asker asks about.
        ("khảo sát hài lòng có phát phiếu cho dân làm thủ tục ở một cửa xã không", "task", False),
        # ... also when they come to do it; the asker's own "làm thủ tục ở đâu" stays a task.
        ("đợt khảo sát người dân đến làm thủ tục ở huyện thì bên em chuẩn bị gì", "task", False),
        ("em đến làm thủ tục ở đâu", "task", True),
        ("mức hài lòng của người dân khi làm thủ tục thì văn phòng chuẩn bị gì", "task", False),
        # A thing named at the end of the situation ("phần mềm") does not swallow the words
        # of the ask that follows it.
        ("văn bản đi chỉ một nửa ký số trên phần mềm. Vậy có được điểm nào không", "intent", True),
        # Whether something meets the requirement, or counts as on time, is a judgement.
        ("quy chế chưa sửa, công chức cử luân phiên thì đã đạt yêu cầu chưa", "judge", True),
        ("tỉnh khảo sát người dân ở huyện, văn phòng cần chuẩn bị gì", "judge", True),
        ("gửi qua hệ thống 14/6, bản giấy 20/6 thì tính đúng hạn theo ngày nào", "judge", True),
        ("đổi bằng lái xe thì làm thủ tục ở đâu", "task", True),
    ],
)
def test_what_a_commune_sends_up_and_the_citizens_procedures_read_as_ours(
    index: SearchIndex, question: str, flag: str, expected: bool
) -> None:
    _, q = index.read(question)
    assert getattr(q, flag) is expected


def test_a_criterion_goes_before_a_general_entry_leaving_part_of_the_question(
    index: SearchIndex,
) -> None:
    # Rounding (a general entry) asked of one criterion's rate: the criterion, close below
    # and holding the question's topic, is shown first; the decision is made as scored.
    q, general = _weighed(
        index, "tỷ lệ văn bản đi có ký số được 69,7 phần trăm có được làm tròn lên không"
    )
    signed = index._criterion_target["7.1.2"]
    other = index._criterion_target["1.1.1"]
    rows = [(general, 60.0, 0.7), (signed, 50.0, 0.6), (other, 40.0, 0.2)]
    shown = index._criterion_first(q, rows)
    assert [t for t, _, _ in shown] == [signed, general, other]
    assert shown[0][1] == 50.0  # its own score
    # Not when the general entry covers the whole question, nor when the criterion is far
    # below it or is not the next row on a criterion.
    assert index._criterion_first(q, [(general, 60.0, 0.97), *rows[1:]])[0][0] == general
    assert index._criterion_first(q, [(general, 70.0, 0.7), *rows[1:]])[0][0] == general
    assert index._criterion_first(q, [rows[0], rows[2], rows[1]])[0][0] == general
    # A question about the process itself keeps its general entry first.
    result = index.search("số liệu chấm điểm chốt đến ngày nào vậy")
    assert result.decision != "none" and not result.results[0].criterion_codes


def test_a_rate_said_by_its_next_words_is_ours(index: SearchIndex) -> None:
    # Written for this test: "tỷ lệ trả lời đúng hạn" is the on-time rate of answers (3.5),
    # though "trả lời" itself follows "tỷ lệ" in none of our texts; a rate of another sector
    # stays another sector's.
    _, q = index.read("phản ánh gửi qua zalo có vào sổ theo dõi và tỷ lệ trả lời đúng hạn không")
    assert q.intent
    _, q = index.read("cho hỏi tỷ lệ học sinh bỏ học của huyện năm nay")
    assert not q.intent


def test_the_unit_a_rate_is_said_of_is_what_the_question_counts(index: SearchIndex) -> None:
    # Written for this test: files over all files (7.2.2 counts files), procedures with an
    # online file (7.2.1 counts procedures), said without a number.
    _, q = index.read("hồ sơ online chia cho tổng hồ sơ thì mẫu số lấy cả những thủ tục nào")
    assert "hs" in q.counted
    _, q = index.read("tỷ lệ thủ tục có hồ sơ trực tuyến tính sao")
    assert "tthc" in q.counted
    _, q = index.read("tổng số nhiệm vụ trong kế hoạch")
    assert "nhiem" in q.counted


def test_whether_handing_in_one_document_is_enough_is_an_evidence_ask(
    index: SearchIndex,
) -> None:
    # "… là xong hả", "… là đủ hả": whether what is sent is enough, asked without "điểm".
    for question in (
        "Quy trình ISO đã công bố thì gửi mỗi cái quyết định công bố là xong hả mọi người, "
        "khỏi cần giấy chứng nhận của bên tư vấn à?",
        "Kế hoạch CCHC năm thì gửi file kế hoạch có số ký hiệu với ngày ký là đủ hả anh?",
    ):
        _, q = index.read(question)
        assert q.judge, question


def test_whether_something_is_taken_out_of_the_count_is_an_assessment_ask(
    index: SearchIndex,
) -> None:
    # Written for this test: the denominator asked about with "trừ khỏi", without "điểm".
    question = (
        "nv trong kh cchc chua lam xong ma huyen co vb dieu chinh lui sang nam sau thi co tru "
        "khoi tong so nv khong a"
    )
    _, q = index.read(question)
    assert q.judge or q.intent
    found = index.search(question)
    assert found.decision != "none" and found.results[0].criterion_codes == ("1.1.2",)


def test_the_form_of_a_file_says_nothing_of_its_topic(index: SearchIndex) -> None:
    # Written for this test: "file", "PDF", "Word" say how a document is sent, not what it is
    # about; they no longer dilute the question's topic (before: a clarifying question).
    found = index.search(
        "Quy chế chi tiêu nội bộ em up file PDF ký số lên phần mềm là đủ chưa hay phải gửi cả "
        "file word ạ?"
    )
    assert found.decision == "answer" and found.results[0].criterion_codes == ("6.2.1",)
    # "scan" stays a topic word: scanning the files is what 3.3.3 scores.
    from knowledge.search import _neutral

    assert _neutral("pdf", "pdf") and not _neutral("scan", "scan")
    # A red seal is "đóng dấu đỏ": "dau do" alone, without accents, is also "đâu đó".
    assert index.read("ban scan dong dau do co duoc khong")[1].intent
    assert not index.read("chia khoa em de dau do roi ai thay khong")[1].intent


def test_which_item_a_document_belongs_to_is_an_assessment_ask(index: SearchIndex) -> None:
    # Written for this test: "nộp vào phần nào" asks which criterion a document evidences
    # (before: refused as a question without the assessment's words).
    question = "biên bản kiểm tra của đoàn tỉnh về một cửa thì em nộp vào phần nào ạ"
    assert index.read(question)[1].intent
    assert index.search(question).decision != "none"


def test_a_fault_of_the_portal_asked_with_its_deduction_is_the_portals_criterion(
    index: SearchIndex,
) -> None:
    # Written for this test. An off-topic phrase ("bị lỗi", an IT fault) before the assessment's
    # words ("có bị trừ điểm phần cổng thông tin không") is only the case judged when the best
    # match reaches SITUATION_MIN (42 → 40 in the seventeenth session: tuning top-3 +4, out of
    # scope −1); this one scores about 40 and was refused at 42.
    found = index.search(
        "Website huyện bị lỗi, ngừng chạy gần một tháng hồi tháng 7 thì có bị trừ điểm phần cổng "
        "thông tin không ạ?"
    )
    assert found.decision != "none" and found.results[0].criterion_codes == ("7.1.3",)


def test_a_task_asked_after_a_situation_told_in_our_words_is_offered_when_weak(
    index: SearchIndex,
) -> None:
    # Written for this test: the situation is the rate being computed for the self-assessment,
    # the ask a "how to handle" (a task phrase). Matched weakly, it is clarified with the
    # likeliest criteria, as a situation told in the assessment's words is, not refused.
    question = (
        "Bên em đang tính tỷ lệ đúng hạn để chấm. Nhiều hồ sơ bị trả lại rồi dân nộp lại. "
        "Vậy mấy loại đó xử lý sao ạ?"
    )
    _, q = index.read(question)
    assert q.told_task and q.task and not q.intent
    rank = index._rank(q)
    weak = [(rank[0][0], 38.0, 0.3), *rank[1:3]]
    result = index._decide(question, q, weak, 3)
    assert result.decision == "clarify"
    assert result.results[0].criterion_codes == index._targets[rank[0][0]].codes
