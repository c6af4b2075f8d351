"""Reading officers' chat messages (knowledge.chat), the lexicon, and what search makes of them.

The messages are written for these tests (not taken from the evaluation sets).
"""

from __future__ import annotations

import pytest

from criteria.loader import require_catalogue
from criteria.schema import CriteriaSet
from knowledge.chat import ASK_WEIGHT, is_question, message_parts, read_message
from knowledge.lexicon import Lexicon, load_lexicon, phrase_key
from knowledge.schema import Entry
from knowledge.search import SearchIndex

CHATTY = (
    "Dạ em chào anh chị ạ. Em ở Phòng Tư pháp, năm nay bên em có 2 hồ sơ trễ hạn. "
    "Cho em hỏi tỷ lệ hồ sơ giải quyết đúng hạn tính như thế nào ạ?"
)


def test_greeting_and_politeness_are_dropped() -> None:
    msg = read_message(CHATTY)
    words = [t.accented for t in msg.tokens]
    for filler in ("dạ", "chào", "ạ", "hỏi"):
        assert filler not in words
    assert "anh" not in words and "chị" not in words


def test_the_ask_is_separated_from_the_situation() -> None:
    msg = read_message(CHATTY)
    assert msg.ask.startswith("tỷ lệ")
    assert "đúng hạn" in msg.ask
    assert "tư pháp" in msg.context and "trễ hạn" in msg.context
    ask_words = {t.folded for t in msg.tokens if t.ask}
    assert {"ty", "le", "dung", "han"} <= ask_words
    assert all(t.weight == ASK_WEIGHT for t in msg.tokens if t.ask)


def test_the_sentence_with_a_question_mark_is_the_ask_not_a_comment_after_it() -> None:
    msg = read_message(
        "Xã em có 3 hồ sơ trễ hạn. Vậy hồ sơ trễ có bị tính vào tỷ lệ đúng hạn không ạ? "
        "Lãnh đạo bảo cứ làm xong là được mà em thấy không ổn lắm."
    )
    assert "tỷ lệ đúng hạn" in msg.ask
    assert "lãnh đạo" in msg.context and "lãnh đạo" not in msg.ask
    # A short follow-up after it is still part of the ask.
    msg = read_message("Xã em có 3 hồ sơ trễ hạn có bị trừ không? Vậy tính sao ạ")
    assert "trừ" in msg.ask and "tính sao" in msg.ask


def test_a_closing_remark_with_a_weak_marker_does_not_replace_the_question() -> None:
    # No question mark anywhere: "cần" (need) in a closing remark reads like an ask marker,
    # but the question is the sentence that asks with "không".
    msg = read_message(
        "Chào anh chị. Phòng Văn hóa hỏi em hồ sơ cấp phép quảng cáo trễ hạn do chờ ý kiến "
        "của Sở thì có bị tính trễ cho huyện không. Em đang tổng hợp nên cần trả lời sớm ạ."
    )
    assert "bị tính trễ" in msg.ask
    ask_words = {t.folded for t in msg.tokens if t.ask}
    assert {"tinh", "tre", "huyen"} <= ask_words
    # A sentence that asks only with a weak marker is still the ask when nothing else asks.
    msg = read_message("Bên em đã niêm yết đủ thủ tục. Em cần hướng dẫn phần minh chứng ạ.")
    assert "minh chứng" in msg.ask and "niêm yết" not in msg.ask


def test_two_questions_in_a_row_are_both_the_ask() -> None:
    # Two question-marked sentences: the first names the topic, the second asks a detail of it.
    msg = read_message(
        "Huyện em có kế hoạch cải cách hành chính năm nay rồi. Phần sáng kiến cải cách hành "
        "chính nộp những gì để được điểm? Có cần quyết định công nhận của chủ tịch huyện không?"
    )
    assert "sáng kiến" in msg.ask and "qd công nhận" in msg.ask
    assert "kh cchc" in msg.context and "kh cchc" not in msg.ask


def test_a_single_sentence_is_all_ask() -> None:
    msg = read_message("kh cchc ban hanh muon thi tru may diem")
    assert msg.context == ""
    assert all(t.ask for t in msg.tokens)


def test_chat_shorthand_maps_to_words() -> None:
    msg = read_message("a/c ơi bc quý 3 nộp muộn ko đc điểm ak")
    accented = [t.accented for t in msg.tokens]
    # "ko" was typed without accents: it stands for "khong"; "đc" carries its đ: "được".
    assert "khong" in accented and "được" in accented
    assert "a" not in accented and "c" not in accented  # "a/c" is a greeting, not two words
    assert "ơi" not in accented and "ak" not in accented


def test_shorthand_typed_without_accents_does_not_make_a_message_accented() -> None:
    # Without accents the search reads question words by their neighbours ("nop muon" is
    # nộp muộn) and off-topic phrases by their folded form: "ko" and "dc" must not switch
    # a message to the accented reading.
    msg = read_message("phan mem loi ko dang nhap dc thi sao")
    assert not msg.accents
    assert all(t.accented == t.folded for t in msg.tokens)


def test_a_lone_d_is_points_and_phone_spellings_map_to_words() -> None:
    for text in ("kh tre thi mat may d v", "bi tru 0.5d ko mn", "co d ko a", "trừ 2đ"):
        assert "diem" in [t.folded for t in read_message(text).tokens], text
    assert "điểm" in [t.accented for t in read_message("trừ 2đ").tokens]


def test_a_quarter_or_half_after_a_scoring_verb_is_points() -> None:
    # "được 0,5", "trừ 0.25", "còn 1,5": points, said without "điểm"; a unit after the number
    # (%, triệu, ngày, hồ sơ…) keeps it a quantity of that unit.
    for text in ("tu cham duoc 0,5 dung ko", "bị trừ 0.25 thôi ạ", "vậy còn 1,5 phải không"):
        assert "diem" in [t.folded for t in read_message(text).tokens], text
    assert not read_message("tu cham duoc 0,5 dung ko").accents
    for text in ("được 0,5 triệu", "còn 1,5 ngày nữa", "tăng 0,5% so với năm trước", "được 2"):
        assert "diem" not in [t.folded for t in read_message(text).tokens], text


def test_points_and_percent_spelt_out_add_no_accents() -> None:
    # "0.5d" and "80%" are spelt out as words ("điểm", "phần trăm"); a message typed without a
    # single accent is still read as unaccented, so that its words are not taken for
    # accentless spellings typed on purpose ("kien nghi" is kiến nghị, not a word "kien").
    for text in ("kien nghi kiem toan moi thuc hien 80%", "bi tru 0.5d ko mn", "co d ko a"):
        assert not read_message(text).accents, text
    for text in ("kiến nghị kiểm toán mới thực hiện 80%", "trừ 2đ", "phần trăm 100%"):
        assert read_message(text).accents, text
    # Letters in a list are not points.
    assert "điểm" not in [t.accented for t in read_message("chon a/b/c/d hay c, d").tokens]
    accented = [t.accented for t in read_message("chx có kq thì bcao trc ngày nào").tokens]
    for word in ("chua", "ket", "qua", "bc", "truoc"):  # báo cáo contracts to bc
        assert word in accented


def test_accents_keep_words_that_fold_like_fillers() -> None:
    # "hội" (council) folds to "hoi" like "hỏi" (ask): only the filler goes.
    words = [t.accented for t in read_message("Hội đồng thẩm định hỏi gì").tokens]
    assert "hỏi" not in words
    assert "hdtd" in words  # "hội đồng thẩm định" contracted, not dropped


def test_quantities_are_recognised() -> None:
    msg = read_message("Đạt 97,6 % và 45/50 hồ sơ, hạn 20/12/2020, trễ 2 báo cáo")
    assert msg.quantities == ("97,6 %", "45/50", "20/12/2020", "2")


def test_invisible_characters_and_emoji_leave_no_words() -> None:
    assert not read_message("\u200b\u200b 👍 ?!").has_words
    assert read_message("tiêu\u200bchí").has_words


def test_a_chatty_question_is_answered_not_refused(index: SearchIndex) -> None:
    result = index.search(CHATTY)
    assert result.decision != "none"
    assert "3.4.1" in result.results[0].criterion_codes


def test_the_ask_opens_inside_a_sentence() -> None:
    msg = read_message(
        "Dạ em chào anh chị, em ở phòng Tư pháp huyện, năm nay em mới được giao làm phần này "
        "nên chưa rành lắm. Cho em hỏi 1.2 trễ 2 cái bc thì còn nhiêu điểm vậy mn"
    )
    assert msg.ask.startswith("1.2 trễ 2")
    assert "tư pháp" in msg.context and "rành" in msg.context
    one = read_message("Bên em đang tổng hợp hồ sơ tự chấm, mn cho e hỏi xíu 8.2 ai chấm vậy ạ")
    assert one.ask == "8.2 ai chấm" and "tổng hợp" in one.context
    assert all(not t.ask for t in one.tokens if t.folded == "tong")


def test_a_code_opening_the_ask_is_a_code(index: SearchIndex) -> None:
    result = index.search(
        "Chào cả nhà, bên em đang hoàn thiện hồ sơ tự chấm gửi Phòng Nội vụ trước 15/11. "
        "Mn cho e hỏi xíu 8.2 ai chấm vậy ạ"
    )
    assert result.decision == "answer"
    assert result.results[0].entry_id == "criterion:8.2"


def test_situation_words_do_not_turn_a_question_away(index: SearchIndex) -> None:
    plain = "báo cáo cchc quý gửi muộn thì chấm thế nào"
    chatty = (
        "Chào mọi người, em mới về phòng được ba tháng, sếp giao em theo dõi mảng này mà "
        "em chưa quen lắm. Báo cáo CCHC quý bên em gửi muộn thì chấm thế nào ạ?"
    )
    first = index.search(plain).results[0].criterion_codes
    result = index.search(chatty)
    assert result.decision != "none"
    assert result.results[0].criterion_codes == first


@pytest.mark.parametrize(
    "question",
    [
        "Dạ em chào anh chị, công chức bên em làm đủ 10 năm thì nghỉ phép năm được mấy ngày ạ?",
        "luong co so nam nay tang len bao nhieu vay mn",
        "cho em hỏi thủ tục tách thửa đất ở cần giấy tờ gì",
        "a/c ơi sinh con được nghỉ thai sản mấy tháng",
    ],
)
def test_off_topic_words_in_the_ask_give_none(index: SearchIndex, question: str) -> None:
    assert index.search(question).decision == "none"


def test_everyday_words_reach_the_criteria_wording(current_set: CriteriaSet) -> None:
    entry = Entry(
        id="gcn",
        question="Cấp giấy chứng nhận quyền sử dụng đất quá hạn có tính vào tỷ lệ không?",
        answer="Có.",
        criteria=("3.4.1",),
        source="x",
    )
    question = "cấp bìa hồng trễ có tính không"
    entries = [*build_default_index_entries(), entry]
    plain = SearchIndex.build(entries, [current_set], lexicon=Lexicon())
    said = phrase_key("bìa hồng")
    means = phrase_key("giấy chứng nhận quyền sử dụng đất")
    linked = SearchIndex.build(entries, [current_set], lexicon=Lexicon({said: means}))
    before = [h.entry_id for h in plain.search(question).results]
    after = linked.search(question)
    assert after.results and after.results[0].entry_id == "gcn"
    assert "gcn" not in before[:1]


def test_a_ruling_is_shown_before_the_card(current_set: CriteriaSet) -> None:
    ruling = Entry(
        id="hs-7",
        question="Hồ sơ trả lại để công dân bổ sung có tính vào mẫu số tỷ lệ đúng hạn không?",
        answer="Không tính vào mẫu số (Sở Nội vụ trả lời).",
        criteria=("3.4.1",),
        source="Trả lời của Sở Nội vụ ngày 03/11/2026",
    )
    index = SearchIndex.build(build_default_index_entries(), [current_set], extra=[ruling])
    by_code = index.search("tiêu chí 3.4.1: hồ sơ trả lại bổ sung có tính mẫu số không")
    assert by_code.decision == "answer"
    assert by_code.results[0].entry_id == "hs-7"
    assert by_code.results[1].entry_id == "criterion:3.4.1"
    free = index.search("ho so tra lai cho dan bo sung thi co tinh vao mau so ko")
    assert free.results[0].entry_id == "hs-7"
    # A ruling on another criterion does not jump ahead of the card that is asked for.
    other = index.search("tiêu chí 6.5 chấm thế nào")
    assert other.results[0].entry_id == "criterion:6.5"


def build_default_index_entries() -> list[Entry]:
    from knowledge.loader import require_entries

    return require_entries(None, require_catalogue().all_codes())


def test_a_code_the_set_does_not_have_gets_none(index: SearchIndex) -> None:
    assert index.search("tc 3.9.9 chấm sao ạ").decision == "none"


def test_lexicon_checks_meanings_against_the_vocabulary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lexicon.yaml"
    path.write_text(
        "synonyms:\n  - means: kế hoạch\n    say: [kh năm]\n"
        "  - means: qwertz\n    say: [lạ]\nin_scope: [điểm]\n",
        encoding="utf-8",
    )
    lexicon, issues = load_lexicon(path, set(phrase_key("kế hoạch")))
    assert lexicon is None
    assert [(i.line, i.field) for i in issues] == [(4, "synonyms[1].means")]
    lexicon, issues = load_lexicon(path)
    assert issues == [] and lexicon is not None
    assert lexicon.synonyms[phrase_key("kh năm")] == phrase_key("kế hoạch")
    assert phrase_key("điểm") in lexicon.on_topic


def test_particles_without_accents_that_are_also_words_stay_words() -> None:
    def words(text: str) -> list[str]:
        return [t.folded for t in read_message(text).tokens]

    assert words("ho so tra truoc hen dung hen co tinh khong")[:6] == [
        "hs", "tra", "truoc", "hen", "dung", "hen",
    ]
    assert "nha" in words("kien nghi cua kiem toan nha nuoc thuc hien chua")
    assert words("ha tang cntt cua huyen")[:2] == ["ha", "tang"]
    # At the end of a sentence, or before other particles, they are particles.
    assert "nha" not in words("tc 3.4.1 tinh sao, giup em voi nha")
    assert "hen" not in words("mai nop bao cao hen")
    assert "ha" not in words("vay la tru diem ha a")


def test_a_code_opening_the_ask_after_question_words_is_a_code(index: SearchIndex) -> None:
    result = index.search(
        "Dạ em chào anh chị ạ. Em ở Văn phòng HĐND và UBND, chị phụ trách cũ nghỉ rồi nên em "
        "làm thay. Em hỏi chút là 8.2 ai chấm vậy ạ"
    )
    assert result.decision == "answer" and result.results[0].entry_id == "criterion:8.2"


def test_a_two_part_code_after_a_greeting_opens_the_ask(index: SearchIndex) -> None:
    # "1.6" alone is a code only where it opens the question (elsewhere "1.6" may be a figure);
    # a greeting before it does not move it.
    result = index.search("mn ơi 1.6 lấy số liệu ở đâu ạ, mai phải nộp Nội vụ r")
    assert result.results and "1.6" in result.results[0].criterion_codes
    # Further on it is read as in the message: a figure of a quota is no code.
    result = index.search("huyện e giảm 11% vượt chỉ tiêu 10% thì full chưa mn ơi")
    assert all(c != "10" for h in result.results for c in h.criterion_codes)


def test_a_question_opening_the_message_is_asked_with_the_last_one() -> None:
    msg = read_message(
        "Sổ theo dõi phản ánh kiến nghị có bắt buộc không ạ? Bên em từ trước đến giờ chỉ lưu "
        "văn bản trả lời. Năm nay đoàn yêu cầu nộp đủ. Vậy em nên làm sao ạ?"
    )
    assert msg.ask.startswith("sổ theo dõi pakn") and msg.ask.endswith("em nên làm sao")
    assert "lưu vb trả lời" in msg.context
    # Without its question mark an opening sentence stays the situation.
    msg = read_message(
        "Sổ theo dõi phản ánh kiến nghị có bắt buộc không. Bên em chỉ lưu văn bản trả lời. "
        "Vậy em nên làm sao ạ?"
    )
    assert msg.ask == "em nên làm sao" and "pakn" in msg.context


def test_who_said_a_quoted_claim_is_not_its_topic(index: SearchIndex) -> None:
    question = (
        'Chánh văn phòng dặn "minh chứng phần bưu chính công ích phải nộp đủ", vậy em nộp '
        "những gì ạ?"
    )
    msg = read_message(question)
    assert msg.ask.startswith("minh chứng phần bcci") and "chánh" not in msg.ask
    # The speaker's post had made the entry on which office scores what a match.
    result = index.search(question)
    assert result.results[0].criterion_codes == ("7.2.3",)
    assert all(h.entry_id != "chung-phan-cong-phong-cham" for h in result.results)
    # After a comma too; a document quoted ("bc ghi '…'") keeps its words, and so does a
    # phrase that only folds like a speaker ("chỉ số thành phần" is no "chị").
    msg = read_message('Hôm qua giao ban, Chủ tịch huyện nói: "chỉ số hài lòng phải vượt".')
    assert "chủ tịch" not in msg.ask + msg.context
    assert "bc ghi" in read_message("bc ghi 'đạt xấp xỉ' thì có tính là đạt ko").ask
    msg = read_message("Chỉ số PCI thì chỉ số thành phần 'chi phí thời gian' tính ntn")
    assert "pci" in msg.ask and "thành phần" in msg.ask
    # How the asker should answer the boss is no topic either; answering citizens is 3.5's.
    msg = read_message('CT hỏi "thừa cấp phó trừ riêng từng phòng hay trừ chung" e trả lời ntn ạ')
    assert "trả lời" not in msg.ask and "cấp phó" in msg.ask
    assert "trả lời" in read_message("bên em trả lời dân đúng hạn 18 ý kiến").ask


def test_please_is_politeness_but_satisfaction_is_a_topic() -> None:
    words = [t.folded for t in read_message("vui lòng cho em hỏi mức hài lòng tính sao").tokens]
    assert "vui" not in words
    assert "long" in words and "hai" in words


def test_a_message_splits_into_its_sentences_and_side_remarks() -> None:
    assert message_parts(
        "Số phó phòng vượt 1 người thì bị trừ mấy điểm ạ. Tiện hỏi trưa nay ai đặt cơm không"
    ) == ["Số phó phòng vượt 1 người thì bị trừ mấy điểm ạ.", "trưa nay ai đặt cơm không"]
    assert message_parts("hs trễ có bị trừ ko, tien hoi luon may in hong goi ai") == [
        "hs trễ có bị trừ ko",
        "luon may in hong goi ai",
    ]
    assert message_parts("tc 3.4.1 tính sao") == ["tc 3.4.1 tính sao"]


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("Tỷ lệ này tính thế nào?", True),
        ("có đc tính vào tỷ lệ ko a/c", True),
        ("mục này được mấy điểm vậy mn", True),
        ("phòng em chấm ntn ạ", True),
        ("vượt 1 phó phòng thì bị trừ bn đ a/c", True),
        ("tỷ lệ này phòng nội vụ hay văn phòng chấm", True),
        ("vậy là bị trừ 0,5 hả", True),
        ("Hai chị cãi nhau trong buổi họp, không ai chịu ký biên bản.", False),
        ("Năm nay em làm gần hết phần tổng hợp tự chấm.", False),
    ],
)
def test_a_question_is_told_from_a_statement_by_its_last_words(sentence: str, asks: bool) -> None:
    assert is_question(sentence) is asks


def test_a_question_ending_in_a_colon_keeps_its_options_as_the_ask() -> None:
    # The options after the colon detail the question before it: both are the ask.
    msg = read_message(
        "Về tinh giản biên chế, tôi phải gửi những giấy tờ gì để chứng minh: danh sách người "
        "nghỉ, quyết định giao biên chế, hay chỉ một bản tổng hợp ạ?"
    )
    assert "tinh giản" in msg.ask and "chứng minh" in msg.ask and "tổng hợp" in msg.ask
    # A lead-in reporting someone's words is no question of its own.
    msg = read_message(
        "Trưởng phòng xem bảng điểm xong hỏi: sao tháng nào cũng 99 % mà chỉ được 2 điểm?"
    )
    assert "trưởng phòng" in msg.context and "trưởng phòng" not in msg.ask
    # "bản sao" (a copy) is no question word: the situation before the colon stays apart.
    msg = read_message(
        "Bên em chỉ còn bản sao không có dấu đỏ của huyện: vậy thì có được tính điểm phần này "
        "không ạ?"
    )
    assert "bản sao" in msg.context and "bản sao" not in msg.ask


def test_denying_any_is_a_statement_not_a_question() -> None:
    from knowledge.chat import _is_ask

    for told in (
        "Năm ngoái không bị lỗi nào.",
        "bên em chưa nhận được văn bản gì",
        "xa em khong co phan anh nao a",
    ):
        assert not is_question(told) and not _is_ask(told), told
    # Not knowing which is asking; a question mark or a closing "không" asks anyway.
    for asked in (
        "em không biết nộp vào mục nào",
        "ko bt tính mục nào",
        "không có lỗi nào thì có bị trừ không",
        "chưa có văn bản nào?",
    ):
        assert is_question(asked), asked
    # The denial is the situation, not a lead-in of the question after it.
    msg = read_message(
        "Đoàn kiểm tra thấy 2 thủ tục niêm yết thiếu lệ phí. Năm ngoái không bị lỗi nào. Năm "
        "nay phần công khai thủ tục em tự trừ bao nhiêu ạ?"
    )
    assert "lỗi" not in msg.ask and "lỗi" in msg.context


def test_a_run_of_questions_is_asked_whole() -> None:
    # Written for this test: three questions in a row, each with its question mark; the first
    # (the main one) was left out of the ask, read as the situation.
    msg = read_message(
        "Xã em có mô hình hay được khen. Phần sáng kiến em chấm 0,5 hay 0 ạ? Mô hình của xã có "
        "được tính cho huyện không? Còn có điểm thưởng không ạ?"
    )
    assert "sáng kiến" in msg.ask and "khen" in msg.context
